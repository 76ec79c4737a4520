import CohortFederation
import CohortPrivacy
import Foundation
import Synchronization

/// Where the built-in model definitions (`Models/`) are.
enum ModelsDirectory {
    /// `COHORT_MODELS` if set; else `Models/` in the working directory; else the first
    /// `Models/` found walking up from the executable (a build in `.build/release/`).
    static var url: URL {
        let fileManager = FileManager.default
        if let path = ProcessInfo.processInfo.environment["COHORT_MODELS"] { return URL(fileURLWithPath: path) }
        let local = URL(fileURLWithPath: fileManager.currentDirectoryPath).appendingPathComponent("Models")
        if fileManager.fileExists(atPath: local.path) { return local }
        var directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("Models")
            if fileManager.fileExists(atPath: candidate.appendingPathComponent("logistic-regression.yaml").path) {
                return candidate
            }
            directory = directory.deletingLastPathComponent()
        }
        return local
    }
}

/// A progress line on standard error: rewritten in place on a terminal, one line per
/// update otherwise (so logs stay readable).
final class ProgressLine: Sendable {
    private let enabled: Bool
    private let interactive: Bool
    private let lastLength = Mutex(0)

    init(enabled: Bool = true) {
        self.enabled = enabled
        self.interactive = isatty(STDERR_FILENO) == 1
    }

    func note(_ text: String) {
        guard enabled else { return }
        write(text + "\n")
    }

    func update(_ text: String) {
        guard enabled else { return }
        if interactive {
            let previous = lastLength.withLock { length in
                defer { length = text.count }
                return length
            }
            write("\r" + text + String(repeating: " ", count: max(0, previous - text.count)))
        } else {
            write(text + "\n")
        }
    }

    func finish() {
        guard enabled, interactive else { return }
        let previous = lastLength.withLock { length in
            defer { length = 0 }
            return length
        }
        if previous > 0 { write("\n") }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}

/// ε for a DP-SGD run, from the RDP accountant.
enum PrivacyStatement {
    static func forDPSGD(samplingRate: Double, noiseMultiplier: Double, steps: Int, delta: Double) throws -> PrivacyGuarantee {
        let mechanism = try SubsampledGaussian(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier)
        return RDPAccountant().epsilon(of: mechanism, steps: steps, delta: delta)
    }
}

extension RoundRecord {
    /// The progress line of a round: sites answered, loss, the plan's pooled metrics ("undefined"
    /// where a metric has no value; the reason is in metrics.jsonl), ε, dropped sites.
    func progressText(rounds: Int) -> String {
        let record = self
        var text = "round \(record.round)/\(rounds)  sites \(record.answered.count)/\(record.sampled.count)"
        if let loss = record.trainingLoss { text += String(format: "  loss %.4f", loss) }
        let requested = record.requestedMetrics
        if requested.isEmpty {
            // A record written before the plan's metrics were recorded.
            if let auroc = record.auroc { text += String(format: "  AUROC %.4f", auroc) }
            if let accuracy = record.accuracy { text += String(format: "  accuracy %.4f", accuracy) }
            if let macroF1 = record.macroF1 { text += String(format: "  macro-F1 %.4f", macroF1) }
        }
        for entry in requested {
            text += "  \(entry.metric.label) " + (entry.value.map { String(format: "%.4f", $0) } ?? "undefined")
        }
        if let epsilon = record.epsilon["run"] ?? record.epsilon.values.max() { text += String(format: "  ε %.3f", epsilon) }
        if let bound = record.clipNorm { text += String(format: "  C %.4g", bound) }
        if !record.dropped.isEmpty { text += "  dropped \(record.dropped.keys.sorted().joined(separator: ","))" }
        return text
    }
}
