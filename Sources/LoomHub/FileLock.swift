import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive `flock` on a lock file, at the path huggingface_hub locks (`<cache>/.locks/models--ORG--NAME/<etag>.lock`)
/// so that Loom and Python downloaders of the same blob take turns. Best effort: where locks are unsupported the
/// unique temporary names and the final rename still keep the blob whole.
final class FileLock {
    private var descriptor: Int32 = -1

    /// Opens (creating) `url` and waits for the lock.
    init(_ url: URL) {
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        descriptor = open(url.path, O_RDWR | O_CREAT, 0o644)
        if descriptor >= 0 {
            while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
        }
    }

    /// Releases the lock (also on deinit).
    func unlock() {
        guard descriptor >= 0 else { return }
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { unlock() }
}
