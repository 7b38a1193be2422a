import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches remote media for `--allow-remote-media`: only from hosts whose every address is a global unicast one
/// (no private, loopback, link-local, CGNAT, multicast or reserved address, nor one of those mapped into IPv6),
/// checked again for every redirect hop; at most `maxBytes` and `timeout` seconds.
struct RemoteMedia {
    let maxBytes: Int
    let timeout: TimeInterval

    func fetch(_ url: String) throws -> Data {
        guard let parsed = URL(string: url) else {
            throw APIError.badRequest("'\(url.prefix(80))' is not a valid URL", code: "invalid_image", param: "messages")
        }
        try RemoteMedia.checkHost(of: parsed)
        let guardian = RedirectGuard()
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration, delegate: guardian, delegateQueue: nil)
        defer { session.invalidateAndCancel() }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<Data, Error> = .failure(APIError.badRequest("no response", code: "media_fetch_failed"))
        let task = session.dataTask(with: parsed) { data, response, error in
            if let refused = guardian.refusal {
                outcome = .failure(refused)
            } else if let error {
                outcome = .failure(APIError.badRequest("fetching \(parsed.host ?? "") failed: \(error.localizedDescription)",
                                                       code: "media_fetch_failed", param: "messages"))
            } else if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                outcome = .failure(APIError.badRequest("fetching \(parsed.host ?? "") answered \(http.statusCode)",
                                                       code: "media_fetch_failed", param: "messages"))
            } else {
                outcome = .success(data ?? Data())
            }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout + 1) == .timedOut {
            task.cancel()
            throw APIError.badRequest("fetching \(parsed.host ?? "") took longer than \(Int(timeout)) s", code: "media_fetch_failed")
        }
        let data = try outcome.get()
        guard data.count <= maxBytes else {
            throw APIError.badRequest("remote media is larger than \(maxBytes) bytes", code: "media_fetch_failed", param: "messages")
        }
        return data
    }

    /// Refuses a URL whose host resolves to any address that is not global.
    static func checkHost(of url: URL) throws {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty else {
            throw APIError.badRequest("remote media must be an http(s) URL with a host", code: "media_fetch_blocked", param: "messages")
        }
        let addresses = resolve(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")))
        guard !addresses.isEmpty else {
            throw APIError.badRequest("cannot resolve \(host)", code: "media_fetch_failed", param: "messages")
        }
        if let blocked = addresses.first(where: { !isGlobal($0) }) {
            throw APIError.badRequest("\(host) resolves to \(blocked.description), which is not a public address",
                                      code: "media_fetch_blocked", param: "messages")
        }
    }

    /// An address as its bytes (4 for IPv4, 16 for IPv6).
    struct Address: CustomStringConvertible {
        let bytes: [UInt8]
        var description: String {
            bytes.count == 4 ? bytes.map(String.init).joined(separator: ".")
                : stride(from: 0, to: 16, by: 2).map { String(format: "%x", Int(bytes[$0]) << 8 | Int(bytes[$0 + 1])) }.joined(separator: ":")
        }
    }

    static func resolve(_ host: String) -> [Address] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return [] }
        defer { freeaddrinfo(first) }
        var out: [Address] = []
        var node: UnsafeMutablePointer<addrinfo>? = first
        while let current = node {
            if current.pointee.ai_family == AF_INET, let raw = current.pointee.ai_addr {
                raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                    out.append(Address(bytes: withUnsafeBytes(of: v4.pointee.sin_addr.s_addr) { Array($0) }))
                }
            } else if current.pointee.ai_family == AF_INET6, let raw = current.pointee.ai_addr {
                raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                    out.append(Address(bytes: withUnsafeBytes(of: v6.pointee.sin6_addr) { Array($0) }))
                }
            }
            node = current.pointee.ai_next
        }
        return out
    }

    /// Whether `address` is a global unicast address.
    static func isGlobal(_ address: Address) -> Bool {
        let b = address.bytes
        if b.count == 4 {
            switch (b[0], b[1]) {
            case (0, _), (10, _), (127, _), (169, 254), (192, 168): return false
            case (100, 64...127), (172, 16...31), (198, 18...19): return false
            case (192, 0) where b[2] == 0 || b[2] == 2: return false
            case (198, 51) where b[2] == 100, (203, 0) where b[2] == 113: return false
            default: return b[0] < 224
            }
        }
        guard b.count == 16 else { return false }
        if b.allSatisfy({ $0 == 0 }) || b[0..<15].allSatisfy({ $0 == 0 }) { return false }          // :: and ::1
        if b[0] & 0xFE == 0xFC || b[0] == 0xFF || (b[0] == 0xFE && b[1] & 0xC0 == 0x80) { return false }  // fc00::/7, ff00::/8, fe80::/10
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return isGlobal(Address(bytes: Array(b[12..<16]))) }
        if b[0..<12] == [0, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0] { return isGlobal(Address(bytes: Array(b[12..<16]))) }  // NAT64
        if b[0] == 0x20 && b[1] == 0x02 { return isGlobal(Address(bytes: Array(b[2..<6]))) }       // 6to4
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return false }            // documentation
        return true
    }
}

/// Checks every redirect hop's host before following it.
private final class RedirectGuard: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
    private let lock = NSLock()
    private var refused: Error?
    var refusal: Error? { lock.withLock { refused } }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        do {
            guard let url = request.url else { throw APIError.badRequest("a redirect without a location", code: "media_fetch_failed") }
            try RemoteMedia.checkHost(of: url)
            completionHandler(request)
        } catch {
            lock.withLock { refused = error }
            completionHandler(nil)
        }
    }
}
