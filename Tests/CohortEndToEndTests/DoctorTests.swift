import CohortTestSupport
import Foundation
import Testing

/// `cohort doctor --json`, run as a real process: the kernel fix and the report's contract.
@Suite("cohort doctor (real process)")
struct DoctorTests {
    static let blasVariables = [
        "OPENBLAS_CORETYPE", "COHORT_BLAS_AUTODETECTED_CORE", "COHORT_TEST_CORETYPE_IS_AUTODETECTED",
        "COHORT_BLAS_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
    ]
    static let slowCores: Set<String> = ["prescott", "core2", "penryn", "dunnington", "nehalem", "katmai", "atom"]

    struct Report: Decodable {
        struct BLAS: Decodable {
            var core: String
            var threads: Int
            var sgemm_gflops_512: Double
            var choice: String
        }
        var blas: BLAS
    }

    static func doctor(setting: [String: String] = [:]) throws -> Report {
        let output = try CohortProcess.run(["doctor", "--json"], setting: setting, removing: blasVariables)
        #expect(output.status == 0, "stderr: \(output.standardError)")
        return try JSONDecoder().decode(Report.self, from: Data(output.standardOutput.utf8))
    }

    static var cpuHasFastKernels: Bool {
        let flags = CohortProcess.cpuFlags
        return flags.contains("avx2") && flags.contains("fma") || flags.contains("avx512f")
    }

    @Test("with OPENBLAS_CORETYPE unset, the kernel is not a generic fallback on an AVX2 or AVX-512 CPU")
    func kernelIsNotFallback() throws {
        let report = try Self.doctor()
        #expect(report.blas.sgemm_gflops_512 > 0)
        #expect(report.blas.threads == ProcessInfo.processInfo.activeProcessorCount)
        if Self.cpuHasFastKernels {
            #expect(!Self.slowCores.contains(report.blas.core.lowercased()), "kernel \(report.blas.core)")
        }
    }

    @Test("when OpenBLAS lands on Prescott by itself, Cohort re-executes with the CPU's kernel")
    func prescottFallbackIsFixed() throws {
        try #require(Self.cpuHasFastKernels, "this CPU has neither AVX2+FMA nor AVX-512")
        // Load OpenBLAS with Prescott, but mark the value as OpenBLAS's own choice: exactly
        // the state of a CPU that OpenBLAS 0.3.21 does not recognise.
        let report = try Self.doctor(setting: [
            "OPENBLAS_CORETYPE": "Prescott", "COHORT_TEST_CORETYPE_IS_AUTODETECTED": "1",
        ])
        let expected = CohortProcess.cpuFlags.isSuperset(of: ["avx512f", "avx512dq", "avx512bw", "avx512vl"])
            ? "SkylakeX" : "Haswell"
        #expect(report.blas.core == expected)
        #expect(report.blas.choice.contains("Prescott"))
    }

    @Test("a user-set OPENBLAS_CORETYPE is kept, even a slow one")
    func userValueKept() throws {
        let haswell = try Self.doctor(setting: ["OPENBLAS_CORETYPE": "Haswell"])
        #expect(haswell.blas.core == "Haswell")
        #expect(haswell.blas.choice.contains("user"))
        let prescott = try Self.doctor(setting: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(prescott.blas.core == "Prescott")
    }

    @Test("the BLAS thread count can be set")
    func threadsCanBeSet() throws {
        #expect(try Self.doctor(setting: ["COHORT_BLAS_THREADS": "1"]).blas.threads == 1)
        let output = try CohortProcess.run(["doctor", "--json", "--no-benchmark", "--blas-threads", "1"],
                                           removing: Self.blasVariables)
        #expect(output.standardOutput.contains("\"threads\":1"))
    }

    @Test("a bad thread count is refused with an error naming the option")
    func badThreads() throws {
        let output = try CohortProcess.run(["doctor", "--blas-threads", "0"])
        #expect(output.status != 0)
        #expect(output.standardError.contains("--blas-threads"))
    }
}
