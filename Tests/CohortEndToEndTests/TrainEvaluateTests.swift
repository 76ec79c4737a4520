import CohortTestSupport
import Foundation
import Testing

/// `cohort train`, `inspect` and `evaluate` as a user runs them: real processes, real files.
@Suite("cohort train / inspect / evaluate (real processes)", .serialized)
struct TrainEvaluateTests {
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url = url.deletingLastPathComponent()
        }
        return url
    }()

    static func dataset(_ name: String) -> String { packageRoot.appendingPathComponent("Datasets/\(name).csv").path }

    static func withDirectory(_ body: (URL) throws -> Void) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        try body(url)
    }

    static func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try #require(object as? [String: Any], "not a JSON object: \(text)")
    }

    static func number(_ object: [String: Any], _ path: String...) -> Double? {
        var current: Any? = object
        for key in path { current = (current as? [String: Any])?[key] }
        return current as? Double
    }

    @Test("train writes a model that inspect describes and evaluate scores, with a report")
    func trainInspectEvaluate() throws {
        try Self.withDirectory { directory in
            let model = directory.appendingPathComponent("lr.safetensors").path
            let train = try CohortProcess.run([
                "train", "--data", Self.dataset("breast_cancer_wdbc"), "--label", "malignant",
                "--model", "logistic-regression", "--out", model, "--epochs", "20", "--json",
            ], setting: ["COHORT_MODELS": Self.packageRoot.appendingPathComponent("Models").path])
            try #require(train.status == 0, "stderr: \(train.standardError)")
            #expect(train.standardError.contains("epoch 20/20"), "progress goes to stderr: \(train.standardError)")
            let summary = try Self.json(train.standardOutput)
            let auroc = try #require(Self.number(summary, "test", "binary", "auroc", "value"))
            #expect(auroc > 0.97)

            let inspect = try CohortProcess.run(["inspect", model])
            #expect(inspect.status == 0)
            #expect(inspect.standardOutput.contains("logistic-regression"))
            #expect(inspect.standardOutput.contains("label 'malignant'"))
            #expect(inspect.standardOutput.contains("mean_radius"))

            let report = directory.appendingPathComponent("report.html").path
            let evaluate = try CohortProcess.run([
                "evaluate", "--model", model, "--data", Self.dataset("breast_cancer_wdbc"), "--report", report, "--json",
            ])
            try #require(evaluate.status == 0, "stderr: \(evaluate.standardError)")
            let metrics = try Self.json(evaluate.standardOutput)
            #expect(Self.number(metrics, "examples") == 569)
            #expect((Self.number(metrics, "binary", "auroc", "value") ?? 0) > 0.97)
            let html = try String(contentsOfFile: report, encoding: .utf8)
            #expect(html.contains("ROC curve") && html.contains("Calibration") && html.contains("<svg"))
        }
    }

    @Test("a multi-class model on digits reaches the accuracy expected of a small MLP")
    func digits() throws {
        try Self.withDirectory { directory in
            let model = directory.appendingPathComponent("digits.safetensors").path
            let train = try CohortProcess.run([
                "train", "--data", Self.dataset("digits"), "--model", "mlp-digits", "--out", model, "--json",
            ], setting: ["COHORT_MODELS": Self.packageRoot.appendingPathComponent("Models").path])
            try #require(train.status == 0, "stderr: \(train.standardError)")
            let accuracy = try #require(Self.number(try Self.json(train.standardOutput), "test", "multiclass", "accuracy", "value"))
            #expect(accuracy >= 0.95)
        }
    }

    @Test("DP-SGD training reports ε, δ and the unit, and says when noise was seeded")
    func privateTraining() throws {
        try Self.withDirectory { directory in
            let model = directory.appendingPathComponent("dp.safetensors").path
            let train = try CohortProcess.run([
                "train", "--data", Self.dataset("breast_cancer_wdbc"), "--model", "logistic-regression", "--out", model,
                "--dp", "--noise-multiplier", "1.0", "--clip", "1", "--epochs", "3", "--batch-size", "64",
                "--delta", "1e-5", "--insecure-seeded-noise",
            ], setting: ["COHORT_MODELS": Self.packageRoot.appendingPathComponent("Models").path])
            try #require(train.status == 0, "stderr: \(train.standardError)")
            #expect(train.standardOutput.contains("ε = "))
            #expect(train.standardOutput.contains("δ = 1e-05"))
            #expect(train.standardOutput.contains("per patient record"))
            #expect(train.standardOutput.contains("SEEDED, not private"))
            let inspect = try CohortProcess.run(["inspect", model])
            #expect(inspect.standardOutput.contains("ε = "))
        }
    }

    @Test("an inferred schema can be written, edited and passed back to train")
    func editedSchema() throws {
        try Self.withDirectory { directory in
            let schemaPath = directory.appendingPathComponent("maternal.schema.json").path
            let infer = try CohortProcess.run(["schema", "--data", Self.dataset("maternal_health_risk"), "--label", "risk_level", "--out", schemaPath])
            try #require(infer.status == 0, "stderr: \(infer.standardError)")
            // Edit: leave out heart_rate, and make body_temp_f categorical.
            var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: schemaPath))) as? [String: Any])
            var features = try #require(json["features"] as? [[String: Any]])
            for index in features.indices {
                if features[index]["name"] as? String == "heart_rate" { features[index]["ignore"] = true }
            }
            json["features"] = features
            try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: schemaPath))
            let model = directory.appendingPathComponent("m.safetensors").path
            let train = try CohortProcess.run([
                "train", "--data", Self.dataset("maternal_health_risk"), "--schema", schemaPath, "--out", model, "--epochs", "2",
            ], setting: ["COHORT_MODELS": Self.packageRoot.appendingPathComponent("Models").path])
            try #require(train.status == 0, "stderr: \(train.standardError)")
            let inspect = try CohortProcess.run(["inspect", model])
            #expect(inspect.standardOutput.contains("5 encoded from 5 columns"), "\(inspect.standardOutput)")
            #expect(!inspect.standardOutput.contains("heart_rate"))
        }
    }

    @Test("a malformed CSV is refused with the file, line and column named, and no model is written")
    func malformedCSV() throws {
        try Self.withDirectory { directory in
            let csv = directory.appendingPathComponent("bad.csv")
            try "age,weight,label\n30,70,0\n41,seventy,1\n52,80,0\n".write(to: csv, atomically: true, encoding: .utf8)
            let model = directory.appendingPathComponent("m.safetensors").path
            let train = try CohortProcess.run(["train", "--data", csv.path, "--label", "label", "--out", model])
            #expect(train.status != 0)
            #expect(FileManager.default.fileExists(atPath: model) == false)
            // Inference makes 'weight' categorical; a ragged row is an error wherever it is.
            try "age,weight,label\n30,70,0\n41,1\n".write(to: csv, atomically: true, encoding: .utf8)
            let ragged = try CohortProcess.run(["train", "--data", csv.path, "--label", "label", "--out", model])
            #expect(ragged.status != 0)
            #expect(ragged.standardError.contains("bad.csv") && ragged.standardError.contains(":3"), "stderr: \(ragged.standardError)")
        }
    }

    @Test("evaluating on data with the wrong columns names the offending column and file")
    func wrongSchema() throws {
        try Self.withDirectory { directory in
            let model = directory.appendingPathComponent("m.safetensors").path
            let train = try CohortProcess.run([
                "train", "--data", Self.dataset("maternal_health_risk"), "--out", model, "--epochs", "2",
            ], setting: ["COHORT_MODELS": Self.packageRoot.appendingPathComponent("Models").path])
            try #require(train.status == 0, "stderr: \(train.standardError)")
            let evaluate = try CohortProcess.run(["evaluate", "--model", model, "--data", Self.dataset("breast_cancer_wdbc")])
            #expect(evaluate.status != 0)
            #expect(evaluate.standardError.contains("breast_cancer_wdbc.csv") && evaluate.standardError.contains("mean_radius"),
                    "stderr: \(evaluate.standardError)")
        }
    }

    @Test("a truncated or corrupted model file is refused with the file named")
    func corruptedModel() throws {
        try Self.withDirectory { directory in
            let model = directory.appendingPathComponent("m.safetensors")
            let train = try CohortProcess.run([
                "train", "--data", Self.dataset("breast_cancer_wdbc"), "--out", model.path, "--epochs", "1",
            ], setting: ["COHORT_MODELS": Self.packageRoot.appendingPathComponent("Models").path])
            try #require(train.status == 0, "stderr: \(train.standardError)")
            let bytes = try Data(contentsOf: model)
            try bytes.prefix(bytes.count - 10).write(to: model)
            let truncated = try CohortProcess.run(["inspect", model.path])
            #expect(truncated.status != 0)
            #expect(truncated.standardError.contains(model.path), "stderr: \(truncated.standardError)")
            var corrupted = bytes
            corrupted[12] = 0xFF
            try corrupted.write(to: model)
            let evaluate = try CohortProcess.run(["evaluate", "--model", model.path, "--data", Self.dataset("breast_cancer_wdbc")])
            #expect(evaluate.status != 0)
            #expect(evaluate.standardError.contains(model.path), "stderr: \(evaluate.standardError)")
        }
    }
}
