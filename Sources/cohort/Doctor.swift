import ArgumentParser
import CohortTensor
import Foundation

/// `cohort doctor`: what this machine gives Cohort, and whether BLAS runs at full speed.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show Swift, OpenBLAS, the kernel in use, threads, CPU features and measured sgemm speed.")

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Flag(help: "Skip the sgemm measurement (about a second).")
    var noBenchmark = false

    @OptionGroup var compute: ComputeOptions

    func run() throws {
        compute.apply()
        let report = DoctorReport.collect(measure: !noBenchmark)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text)
        }
    }
}

/// What `cohort doctor` reports; its JSON form is a stable interface for scripts and tests.
struct DoctorReport: Codable {
    struct BLAS: Codable {
        var core: String
        var version: String
        var config: String
        var threads: Int
        var choice: String
        var bestCoreForCPU: String?
        var sgemm_gflops_512: Double?
        var environment: [String: String]
    }
    struct CPU: Codable {
        var vendor: String
        var brand: String
        var cores: Int
        var features: [String]
        var flushToZero: Bool
    }
    var cohort: String
    var swift: String
    var blas: BLAS
    var cpu: CPU

    static func collect(measure: Bool) -> DoctorReport {
        let features = CPUFeatures.current
        let environment = ProcessInfo.processInfo.environment.filter {
            $0.key.hasPrefix("OPENBLAS_") || $0.key.hasPrefix("COHORT_") || $0.key == "OMP_NUM_THREADS"
        }
        return DoctorReport(
            cohort: Cohort.configuration.version,
            swift: swiftVersion,
            blas: BLAS(
                core: BLASRuntime.coreName, version: BLASRuntime.version, config: BLASRuntime.configuration,
                threads: BLASRuntime.threads, choice: BLASRuntime.choice.summary,
                bestCoreForCPU: BLASKernelPolicy.bestCore(for: features),
                sgemm_gflops_512: measure ? BLASDiagnostics.sgemmGFLOPS(size: 512) : nil,
                environment: environment),
            cpu: CPU(
                vendor: features.vendor, brand: features.brand,
                cores: ProcessInfo.processInfo.activeProcessorCount,
                features: features.presentNames, flushToZero: FloatingPointEnvironment.flushToZero))
    }

    static var swiftVersion: String {
        #if compiler(>=6.4)
        return "6.4 or later"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #else
        return "6.1 or earlier"
        #endif
    }

    var text: String {
        var lines = [String]()
        lines.append("Cohort \(cohort) (Swift \(swift))")
        lines.append("")
        lines.append("OpenBLAS")
        lines.append("  version        \(blas.version)")
        lines.append("  config         \(blas.config)")
        lines.append("  kernel         \(blas.core)  (\(blas.choice))")
        lines.append("  best for CPU   \(blas.bestCoreForCPU ?? "generic")")
        lines.append("  threads        \(blas.threads)")
        if let gflops = blas.sgemm_gflops_512 {
            lines.append("  sgemm 512×512  \(String(format: "%.1f", gflops)) GFLOP/s")
        }
        for (key, value) in blas.environment.sorted(by: { $0.key < $1.key }) {
            lines.append("  env            \(key)=\(value)")
        }
        lines.append("")
        lines.append("CPU")
        lines.append("  model          \(cpu.brand.isEmpty ? "unknown" : cpu.brand) (\(cpu.vendor))")
        lines.append("  cores          \(cpu.cores)")
        lines.append("  features       \(cpu.features.joined(separator: " "))")
        lines.append("  flush-to-zero  \(cpu.flushToZero ? "on" : "off")")
        if BLASKernelPolicy.tier(ofCore: blas.core) < BLASKernelPolicy.tier(ofCore: blas.bestCoreForCPU ?? "") {
            lines.append("")
            lines.append("warning: the \(blas.core) kernel is below what this CPU supports (\(blas.bestCoreForCPU ?? "")); GEMM runs several times slower.")
        }
        return lines.joined(separator: "\n")
    }
}
