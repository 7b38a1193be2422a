import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Answers every failure in OpenAI's error shape with its status; an unknown route is a 404, anything unexpected a
/// 500 that leaves the server serving.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let metrics: ServerMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return answer(error, request)
        } catch let error as HTTPError {
            let api = error.status == .notFound
                ? APIError.notFound("Unknown route \(request.method) \(request.uri.path).", code: "not_found")
                : APIError(status: error.status, message: error.body ?? error.status.reasonPhrase, type: "invalid_request_error",
                           param: nil, code: nil)
            return answer(api, request)
        } catch let error as any HTTPResponseError {
            return answer(APIError(status: error.status, message: "\(error)", type: "invalid_request_error", param: nil, code: nil), request)
        } catch {
            let api = APIError.from(error, retryAfter: 1)
            if api.status == .internalServerError { logger.error("\(request.method) \(request.uri.path) failed: \(error)") }
            return answer(api, request)
        }
    }

    private func answer(_ error: APIError, _ request: Request) -> Response {
        metrics.request(status: error.status.code)
        logger.info("\(request.method) \(request.uri.path) \(error.status.code) \(error.message)")
        return error.response
    }
}

/// Requires `Authorization: Bearer KEY` on every route but `/health`, compared in constant time.
struct APIKeyMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let key: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path != "/health" else { return try await next(request, context) }
        let given = request.headers[.authorization].map { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : "" } ?? ""
        guard APIKeyMiddleware.equal(Array(given.utf8), Array(key.utf8)) else { throw APIError.unauthorized() }
        return try await next(request, context)
    }

    /// Compares in time that depends only on the lengths.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) { difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0) }
        return difference == 0
    }
}

/// CORS for the listed origins only (never `*` with credentials): their requests get `Access-Control-Allow-Origin`,
/// their preflights a 204.
struct CORSOrigins: RouterMiddleware {
    typealias Context = BasicRequestContext
    let origins: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) || origins.contains("*") else {
            return try await next(request, context)
        }
        let allowed = origins.contains("*") ? "*" : origin
        if request.method == .options {
            return Response(status: .noContent, headers: [
                .accessControlAllowOrigin: allowed, .accessControlAllowMethods: "GET, POST, OPTIONS",
                .accessControlAllowHeaders: "Authorization, Content-Type", .accessControlMaxAge: "600", .vary: "Origin",
            ])
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = allowed
        response.headers[.vary] = "Origin"
        return response
    }
}
