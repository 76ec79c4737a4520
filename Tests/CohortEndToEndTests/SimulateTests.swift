import CohortTestSupport
import Foundation
import Testing

/// `cohort simulate` as a user runs it.
@Suite("cohort simulate (real process)", .serialized)
struct SimulateTests {
    static let environment = ["COHORT_MODELS": TrainEvaluateTests.packageRoot.appendingPathComponent("Models").path]

    @Test("the minimal plan runs as written and writes the run folder; --json's last line is the summary")
    func minimalPlan() throws {
        try TrainEvaluateTests.withDirectory { directory in
            let plan = TrainEvaluateTests.packageRoot.appendingPathComponent("Examples/first-run/plan.yaml").path
            let output = try CohortProcess.run(["simulate", plan, "--out", directory.path, "--json"], setting: Self.environment)
            try #require(output.status == 0, "stderr: \(output.standardError)")
            let last = try #require(output.standardOutput.split(separator: "\n").last)
            let summary = try TrainEvaluateTests.json(String(last))
            #expect(summary["rounds"] as? Int == 30)
            #expect((TrainEvaluateTests.number(summary, "metrics", "auroc") ?? 0) > 0.97)
            // Every metric the plan asks for (the default list) is in the summary too.
            let logLoss = try #require(TrainEvaluateTests.number(summary, "metrics", "log_loss"))
            #expect(logLoss > 0 && logLoss < 0.3)
            #expect(summary["undefinedMetrics"] == nil)
            #expect(summary["run_dir"] as? String == directory.path)
            #expect(summary["epsilon"] == nil || summary["epsilon"] is NSNull)
            #expect(output.standardError.contains("round 30/30"))
            let metrics = try String(contentsOf: directory.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            #expect(metrics.split(separator: "\n").count == 30)
            let report = try String(contentsOf: directory.appendingPathComponent("report.html"), encoding: .utf8)
            #expect(report.contains("pooled AUROC") && report.contains("<svg"))
            let inspect = try CohortProcess.run(["inspect", directory.appendingPathComponent("model.safetensors").path])
            #expect(inspect.status == 0 && inspect.standardOutput.contains("malignant"))
        }
    }

    @Test("noised preprocessing: the run's ε covers the statistics, and `cohort inspect` shows the schema's public ranges")
    func noisedPreprocessingPlan() throws {
        try TrainEvaluateTests.withDirectory { directory in
            let plan = TrainEvaluateTests.packageRoot.appendingPathComponent("Examples/noised-preprocessing/plan.yaml").path
            let output = try CohortProcess.run(["simulate", plan, "--out", directory.path, "--json"], setting: Self.environment)
            try #require(output.status == 0, "stderr: \(output.standardError)")
            let summary = try TrainEvaluateTests.json(String(try #require(output.standardOutput.split(separator: "\n").last)))
            let outside = try #require(summary["releasedOutsideEpsilon"] as? [String])
            #expect(!outside.contains { $0.contains("preprocessing") }, "\(outside)")
            let inspect = try CohortProcess.run(["inspect", directory.appendingPathComponent("model.safetensors").path])
            #expect(inspect.status == 0)
            let heartRate = inspect.standardOutput.split(separator: "\n").first { $0.contains("heart_rate") }
            #expect(heartRate?.contains("range [40, 150]") == true, "\(inspect.standardOutput)")
        }
    }

    @Test("the default plan (no argument) runs record-level DP and reports ε, δ and the unit")
    func defaultPlan() throws {
        try TrainEvaluateTests.withDirectory { directory in
            let output = try CohortProcess.run(["simulate", "--out", directory.path, "--json"], setting: Self.environment)
            try #require(output.status == 0, "stderr: \(output.standardError)")
            #expect(output.standardOutput.contains("per patient record"))
            let summary = try TrainEvaluateTests.json(String(try #require(output.standardOutput.split(separator: "\n").last)))
            let epsilon = try #require(summary["epsilon"] as? Double)
            #expect(epsilon <= 3 && epsilon > 0)
            #expect(summary["delta"] as? Double == 1e-5)
        }
    }

    @Test("a plan with an unknown or invalid field is refused with the field named")
    func badPlan() throws {
        try TrainEvaluateTests.withDirectory { directory in
            let plan = directory.appendingPathComponent("plan.yaml")
            try "name: x\nmodel: logistic-regression\nlabel: malignant\nrounds: 3\nlocal: {batch_size: 0}\nsites:\n  - {name: a, data: a.csv}\n"
                .write(to: plan, atomically: true, encoding: .utf8)
            let output = try CohortProcess.run(["simulate", plan.path], setting: Self.environment)
            #expect(output.status != 0)
            #expect(output.standardError.contains("local.batch_size") || output.standardError.contains("a.csv"), "stderr: \(output.standardError)")
            try "name: x\nmodel: logistic-regression\nlabel: malignant\nrounds: 3\nrounds_per_day: 2\nsites:\n  - {name: a, data: a.csv}\n"
                .write(to: plan, atomically: true, encoding: .utf8)
            let unknown = try CohortProcess.run(["simulate", plan.path], setting: Self.environment)
            #expect(unknown.status != 0)
            #expect(unknown.standardError.contains("rounds_per_day"), "stderr: \(unknown.standardError)")
        }
    }
}
