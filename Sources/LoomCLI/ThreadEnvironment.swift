import Foundation
import LoomCore
#if canImport(Glibc)
import Glibc
#endif

/// The OpenMP settings `loom` runs with. Loom's pool and oneDNN share libgomp's threads; after a parallel region
/// they spin waiting for the next one (300 000 iterations by default), which on 2 cores starves OpenBLAS's own
/// threads in the f32 path. A short spin keeps back-to-back regions fast without that. The variables are read
/// when libgomp loads (before `main`), so the command re-executes itself once with them set, unless the user
/// set either already.
enum ThreadEnvironment {
    static let spinCount = "10000"

    static func prepare() {
        #if os(Linux)
        let environment = ProcessInfo.processInfo.environment
        guard environment["GOMP_SPINCOUNT"] == nil, environment["OMP_WAIT_POLICY"] == nil else { return }
        guard let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return }
        setenv("GOMP_SPINCOUNT", spinCount, 1)
        execv(executable, CommandLine.unsafeArgv)
        #endif
    }
}

extension Loom {
    static func main() {
        ThreadEnvironment.prepare()
        HeapPolicy.keepFreedBlocks()
        main(nil)
    }
}
