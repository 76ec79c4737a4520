internal import CBLAS
import Foundation

/// The OpenBLAS library this process loaded: its kernel, configuration and threads.
///
/// Start-up belongs to the executable: call `BLASRuntime.start(arguments:)` first thing in
/// `main`, before any BLAS work. It fixes a fallback kernel (see `BLASKernelPolicy`) by
/// re-executing the process once, and sets the thread count.
public enum BLASRuntime {
    /// Environment variable OpenBLAS reads at load time to force a kernel.
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"
    /// Set by Cohort on the re-executed process to the core OpenBLAS had chosen itself,
    /// so the child knows the coretype is Cohort's doing, not the user's, and never loops.
    public static let reexecMarkerVariable = "COHORT_BLAS_AUTODETECTED_CORE"
    /// For tests only: treat an `OPENBLAS_CORETYPE` in the environment as if OpenBLAS had
    /// chosen that kernel itself, so the fix can be exercised on a processor OpenBLAS knows.
    public static let testTreatCoreTypeAsAutodetectedVariable = "COHORT_TEST_CORETYPE_IS_AUTODETECTED"
    /// Number of BLAS threads, when the user wants other than the cores available.
    public static let threadsVariable = "COHORT_BLAS_THREADS"

    /// The kernel OpenBLAS is running, e.g. `SkylakeX` or `Prescott`.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's build configuration, e.g. `OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY ...`.
    public static var configuration: String {
        String(cString: openblas_get_config()).trimmingSpaces()
    }

    /// The OpenBLAS version parsed from its configuration, e.g. `0.3.21`.
    public static var version: String {
        let words = configuration.split(separator: " ")
        if let index = words.firstIndex(of: "OpenBLAS"), index + 1 < words.count { return String(words[index + 1]) }
        return "unknown"
    }

    /// The number of threads BLAS calls use.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set {
            precondition(newValue >= 1, "BLAS thread count must be at least 1, got \(newValue)")
            openblas_set_num_threads(Int32(newValue))
        }
    }

    /// How this process's kernel was chosen; set by `start(arguments:)`.
    nonisolated(unsafe) public private(set) static var choice: KernelChoice = .autodetected

    /// Makes sure OpenBLAS runs its best kernel for this processor, then sets the threads.
    ///
    /// If OpenBLAS fell back to a kernel below the processor's tier and the user did not
    /// set `OPENBLAS_CORETYPE`, this re-executes `/proc/self/exe` with the same arguments
    /// and `OPENBLAS_CORETYPE` set: it does not return in that case. Otherwise it records
    /// the choice, sets the thread count (`threads`, else `COHORT_BLAS_THREADS`, else the
    /// cores this process may run on) and returns. Call it once, first thing in `main`.
    public static func start(arguments: [String] = CommandLine.arguments, threads requested: Int? = nil) {
        let environment = ProcessInfo.processInfo.environment
        let decision = decideKernel(environment: environment, loadedCore: coreName, features: .current)
        switch decision {
        case .keep(let choice):
            self.choice = choice
        case .reexecute(let core, let from):
            let reason = reexecute(arguments: arguments, settingCore: core, autodetected: from)
            // Only reached when exec failed: run on, slowly, and say so.
            choice = .fixFailed(from: from, reason: reason)
            FileHandle.standardError.write(Data(
                "cohort: warning: OpenBLAS runs its slow \(from) kernel and re-executing with \(coreTypeVariable)=\(core) failed (\(reason)); set it yourself for full speed\n".utf8))
        }
        if let requested {
            self.threads = requested
        } else if let text = environment[threadsVariable], let value = Int(text), value >= 1 {
            self.threads = value
        } else if environment["OPENBLAS_NUM_THREADS"] == nil && environment["OMP_NUM_THREADS"] == nil {
            self.threads = ProcessInfo.processInfo.activeProcessorCount
        }
        FloatingPointEnvironment.setFlushToZero(true)
    }

    /// What `start` should do, decided from the environment alone (so tests can drive it).
    public enum Decision: Sendable, Equatable {
        case keep(KernelChoice)
        case reexecute(core: String, from: String)
    }

    /// Decides between keeping the loaded kernel and re-executing with a better one.
    public static func decideKernel(
        environment: [String: String], loadedCore: String, features: CPUFeatures
    ) -> Decision {
        if let from = environment[reexecMarkerVariable] {
            return .keep(.fixedByCohort(from: from))
        }
        if let userValue = environment[coreTypeVariable], !userValue.isEmpty,
           environment[testTreatCoreTypeAsAutodetectedVariable] == nil {
            return .keep(.userSet(userValue))
        }
        if let better = BLASKernelPolicy.replacement(forLoadedCore: loadedCore, features: features) {
            return .reexecute(core: better, from: loadedCore)
        }
        return .keep(.autodetected)
    }

    /// Replaces this process by itself with `OPENBLAS_CORETYPE` set; returns why it failed.
    private static func reexecute(arguments: [String], settingCore core: String, autodetected from: String) -> String {
        setenv(coreTypeVariable, core, 1)
        setenv(reexecMarkerVariable, from, 1)
        unsetenv(testTreatCoreTypeAsAutodetectedVariable)
        let path = "/proc/self/exe"
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArguments.append(nil)
        execv(path, cArguments)
        let reason = String(cString: strerror(errno))
        for pointer in cArguments { free(pointer) }
        unsetenv(coreTypeVariable)
        unsetenv(reexecMarkerVariable)
        return "execv(\(path)): \(reason)"
    }
}
