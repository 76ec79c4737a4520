import CohortData
import CohortLearn
import CohortTensor
import Foundation
import Testing
@testable import CohortFederation

@Suite("Round engine: the plan's evaluation metrics")
struct RoundEngineMetricsTests {
    /// Each site's holdout as `InMemorySite` splits it (same fractions, same seed), scored by
    /// `model` as the sites score it: P(positive) = sigmoid of the Float logit.
    static func pooledHoldout(
        tables: [CSVTable], schema: Schema, holdout: Double, model: TrainedModel
    ) throws -> (scores: [Double], labels: [Int], logits: [Float]) {
        var scores = [Double](), labels = [Int](), logits = [Float]()
        for (index, table) in tables.enumerated() {
            var generator = SeededGenerator(seed: UInt64(index))
            let rows = try schema.validate(table)
                .split(SplitFractions(train: 1 - holdout, validation: 0, test: holdout), using: &generator).test
            let data = try model.preprocessing.apply(to: rows)
            let z = model.network.predictLogits(data.features).scalars
            logits += z
            scores += z.map { Double(Activation.sigmoid($0)) }
            labels += data.labels
        }
        return (scores, labels, logits)
    }

    @Test("binary: every requested metric equals CohortLearn's on the pooled holdout predictions")
    func binaryMetricsMatchPooledPredictions() async throws {
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        let tables = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 3)
        let sites = tables.enumerated().map {
            InMemorySite(name: "s\($0.offset)", table: $0.element, holdoutFraction: 0.2, seed: UInt64($0.offset))
        }
        let requested: [Plan.Evaluation.Metric] = [
            .auprc, .brier, .ece, .sensitivity, .specificity, .ppv, .npv, .balancedAccuracy, .logLoss,
        ]
        let configuration = FederationConfiguration(
            runID: "metrics", definition: try EngineFixtures.definition(EngineFixtures.logisticRegression), schema: schema,
            rounds: 3, local: LocalWork(epochs: 1, batchSize: 32, optimizer: .sgd(), learningRate: 0.05),
            evaluateEvery: 3, metrics: requested, seed: 4)
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        let result = try await engine.run(sites: sites)
        let last = try #require(result.history.last)
        #expect(result.history.dropLast().allSatisfy { $0.metrics.isEmpty && $0.undefinedMetrics.isEmpty })
        #expect(Set(last.metrics.keys) == Set(requested.map(\.rawValue)))
        #expect(last.undefinedMetrics.isEmpty, "\(last.undefinedMetrics)")

        let pooled = try Self.pooledHoldout(tables: tables, schema: schema, holdout: 0.2, model: result.model)
        #expect(pooled.labels.count == last.evaluationRecords)
        #expect(Set(pooled.labels) == [0, 1])
        let predictions = BinaryPredictions(scores: pooled.scores, labels: pooled.labels)
        let histogram = ScoreHistogram(predictions)
        func recorded(_ metric: Plan.Evaluation.Metric) throws -> Double { try #require(last.metrics[metric.rawValue]) }
        func reference(_ value: MetricValue) throws -> Double { try #require(value.doubleValue) }

        // Threshold metrics at 0.5, a bin edge: exact.
        let exact: [(Plan.Evaluation.Metric, MetricValue)] = [
            (.sensitivity, predictions.sensitivity(threshold: 0.5)), (.specificity, predictions.specificity(threshold: 0.5)),
            (.ppv, predictions.positivePredictiveValue(threshold: 0.5)), (.npv, predictions.negativePredictiveValue(threshold: 0.5)),
            (.balancedAccuracy, predictions.balancedAccuracy(threshold: 0.5)),
        ]
        for (metric, value) in exact {
            #expect(abs(try recorded(metric) - reference(value)) <= 1e-12, "\(metric.rawValue)")
        }
        // ECE: the histogram's 10 bins are the predictions' 10 bins; only sums are rounded differently.
        #expect(abs(try recorded(.ece) - reference(predictions.expectedCalibrationError())) <= 1e-9)
        // Brier: scores within a 1/1000 bin are tied at their mean, within 1/B + 1/B² of the exact value.
        #expect(abs(try recorded(.brier) - reference(predictions.brierScore())) <= 1e-3 + 1e-6)
        // AUPRC: one step per bin; equal to the pooled scores' histogram, close to the exact value.
        #expect(abs(try recorded(.auprc) - reference(histogram.averagePrecision())) <= 1e-12)
        #expect(abs(try recorded(.auprc) - reference(predictions.averagePrecision())) <= 0.02)
        // Log-loss is Σ loss / Σ records from the logits, in Float at the sites.
        let doubleScores = pooled.logits.map { 1 / (1 + exp(-Double($0))) }
        let logLoss = try reference(BinaryPredictions(scores: doubleScores, labels: pooled.labels).logLoss())
        #expect(abs(try recorded(.logLoss) - logLoss) <= 1e-5 * max(1, logLoss))
        #expect(try recorded(.logLoss) == last.evaluationLoss)
        // The fields every record has are still filled, requested or not.
        #expect(abs(try #require(last.auroc) - reference(histogram.auroc())) <= 1e-12)
        #expect(last.accuracy != nil)
    }

    @Test("multi-class: a binary metric is recorded as undefined with its reason; the rest from the summed matrices")
    func multiclassUndefinedMetrics() async throws {
        let schema = try EngineFixtures.schema("fetal_health")
        let sites = try EngineFixtures.iidSites("fetal_health", count: 3).enumerated().map {
            InMemorySite(name: "s\($0.offset)", table: $0.element, holdoutFraction: 0.2, seed: UInt64($0.offset))
        }
        let requested: [Plan.Evaluation.Metric] = [.auroc, .accuracy, .macroF1, .balancedAccuracy, .logLoss, .brier, .ppv]
        let configuration = FederationConfiguration(
            runID: "multi-metrics", definition: try EngineFixtures.definition("name: m\nlayers: [{dense: 16}, relu, {dense: output}]\n"),
            schema: schema, rounds: 2, local: LocalWork(epochs: 1, batchSize: 32, learningRate: 0.1), evaluateEvery: 2,
            metrics: requested)
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        let last = try #require(try await engine.run(sites: sites).history.last)

        #expect(last.metrics["auroc"] == nil)
        let reason = try #require(last.undefinedMetrics["auroc"])
        #expect(reason.contains("binary") && reason.contains("3 classes"), "\(reason)")
        #expect(last.undefinedMetrics["brier"] != nil && last.undefinedMetrics["ppv"] != nil)
        #expect(Set(last.metrics.keys).isDisjoint(with: last.undefinedMetrics.keys))
        #expect(Set(last.metrics.keys).union(last.undefinedMetrics.keys) == Set(requested.map(\.rawValue)))
        #expect(last.metrics["accuracy"] == last.accuracy)
        #expect(last.metrics["log_loss"] == last.evaluationLoss)
        // Macro-F1 as the record's own field (when a class is absent both say so).
        #expect(last.metrics["macro_f1"] == last.macroF1)
        #expect(last.metrics["balanced_accuracy"] != nil || last.undefinedMetrics["balanced_accuracy"] != nil)
        #expect(last.requestedMetrics.map(\.metric) == [.auroc, .accuracy, .balancedAccuracy, .logLoss, .brier, .ppv, .macroF1])
    }

    @Test("pooled binary metrics without a value say why: one class, no predicted positives, no records")
    func undefinedReasons() {
        var positivesOnly = PooledEvaluation(classCount: 2)
        positivesOnly.add(SiteEvaluation(records: 3, lossSum: 3, correct: 0, histogram: ScoreHistogram(scores: [0.1, 0.2, 0.3], labels: [1, 1, 1]),
                                         confusion: nil))
        #expect(positivesOnly.value(of: .auroc) == .failure(.init("only one class present")))
        #expect(positivesOnly.value(of: .ppv) == .failure(.init("no predicted positives")))
        #expect(positivesOnly.value(of: .specificity) == .failure(.init("no negative examples")))
        #expect(positivesOnly.value(of: .sensitivity) == .success(0))
        #expect(positivesOnly.value(of: .logLoss) == .success(1))

        let nothing = PooledEvaluation(classCount: 2)
        #expect(nothing.value(of: .accuracy) == .failure(.init("no holdout records were evaluated")))
        var record = RoundRecord(
            round: 1, sampled: [], answered: [], dropped: [:], trainingLoss: nil, evaluationLoss: nil, accuracy: nil, auroc: nil,
            macroF1: nil, evaluationRecords: nil, perSite: nil, epsilon: [:], seconds: 0, bytesSent: 0, bytesReceived: 0)
        nothing.record([.auroc, .accuracy], into: &record)
        #expect(record.metrics.isEmpty)
        #expect(record.undefinedMetrics == ["auroc": "no holdout records were evaluated", "accuracy": "no holdout records were evaluated"])
    }

    @Test("a plan's evaluation.metrics reach the engine's configuration; a configuration built directly has the plan default")
    func planMetricsReachConfiguration() throws {
        let yaml = minimalPlanYAML + "\nevaluation:\n  metrics: [brier, npv]\n"
        let plan = try Plan.parse(yaml: yaml, baseDirectory: URL(fileURLWithPath: "/p"))
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        let definition = try EngineFixtures.definition(EngineFixtures.logisticRegression)
        let configuration = try FederationConfiguration(plan: plan, definition: definition, schema: schema,
                                                        siteRows: [100, 100], runID: "r")
        #expect(configuration.metrics == [.brier, .npv])
        let direct = FederationConfiguration(runID: "d", definition: definition, schema: schema, rounds: 1)
        #expect(direct.metrics == [.auroc, .accuracy, .logLoss])
    }
}

@Suite("RoundRecord JSON")
struct RoundRecordCodingTests {
    @Test("a record written before metrics and undefined_metrics existed decodes with both empty")
    func oldRecordDecodes() throws {
        let old = """
            {"accuracy":0.9,"answered":["a"],"auroc":0.95,"bytesReceived":124,"bytesSent":124,"dropped":{},\
            "epsilon":{"run":0.5},"evaluationLoss":0.3,"evaluationRecords":20,"perSite":{"a":{"accuracy":0.9,"records":20}},\
            "round":1,"sampled":["a"],"seconds":0.5,"trainingLoss":0.4}
            """
        let record = try JSONDecoder().decode(RoundRecord.self, from: Data(old.utf8))
        #expect(record.metrics.isEmpty && record.undefinedMetrics.isEmpty)
        #expect(record.auroc == 0.95 && record.accuracy == 0.9 && record.evaluationRecords == 20 && record.macroF1 == nil)
        #expect(record.perSite?["a"]?.records == 20 && record.epsilon == ["run": 0.5])
        #expect(record.requestedMetrics.isEmpty)
    }

    @Test("requested metrics survive a round trip under the keys metrics and undefined_metrics")
    func roundTrip() throws {
        var record = RoundRecord(
            round: 2, sampled: ["a"], answered: ["a"], dropped: [:], trainingLoss: 0.2, evaluationLoss: 0.3, accuracy: 0.9,
            auroc: nil, macroF1: 0.8, evaluationRecords: 20, perSite: nil, epsilon: [:], seconds: 1, bytesSent: 4, bytesReceived: 4)
        record.metrics = ["accuracy": 0.9, "brier": 0.07]
        record.undefinedMetrics = ["auroc": "a binary metric; the task has 3 classes"]
        let data = try JSONEncoder().encode(record)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["undefined_metrics"] as? [String: String] == record.undefinedMetrics)
        #expect(object["metrics"] as? [String: Double] == record.metrics)
        #expect(object["trainingLoss"] as? Double == 0.2)  // the old keys are unchanged
        #expect(try JSONDecoder().decode(RoundRecord.self, from: data) == record)
    }
}
