import CohortData
import CohortLearn
import CohortPrivacy
import CohortTensor
import Foundation
import Testing
@testable import CohortFederation

@Suite("Round engine (in-memory transport)")
struct RoundEngineTests {
    @Test("FedAvg with one site and one full-batch local SGD step equals one centralised SGD step")
    func oneSiteOneStepIsCentralised() async throws {
        let table = try CSVTable(contentsOf: EngineFixtures.csv("breast_cancer_wdbc"))
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        let site = InMemorySite(name: "only", table: table, holdoutFraction: 0, seed: 3)
        let definition = try EngineFixtures.definition(EngineFixtures.logisticRegression)
        let rows = table.rowCount
        let configuration = FederationConfiguration(
            runID: "t", definition: definition, schema: schema, rounds: 1,
            local: LocalWork(steps: 1, batchSize: rows, optimizer: .sgd(), learningRate: 0.5), evaluateEvery: 100, seed: 9)
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        let federated = try await engine.run(sites: [site])

        // The same step, centrally: same statistics (one site: its aggregates are the data's),
        // same initial weights (same seed), one SGD step on the full batch.
        let validated = try schema.validate(table)
        let statistics = try PreprocessingStatistics.fit(validated)
        let data = try statistics.apply(to: validated)
        var generator = SeededGenerator(seed: 9)
        var network = Network(definition: definition, inputWidth: 30, outputWidth: 1, using: &generator)
        _ = try Trainer(options: TrainingOptions(epochs: 1, batchSize: rows, learningRate: 0.5, optimizer: .sgd(),
                                                 blasThreads: .unchanged, maximumSteps: 1))
            .train(&network, loss: .binaryCrossEntropy, training: LabeledData(features: data.features, labels: data.labels))
        let a = federated.model.network.parameters.flattened(), b = network.parameters.flattened()
        #expect(a.count == b.count)
        for i in a.indices { #expect(abs(a[i] - b[i]) <= 1e-5, "parameter \(i): \(a[i]) vs \(b[i])") }
        #expect(federated.history.count == 1)
        #expect(federated.history[0].answered == ["only"])
        #expect(federated.history[0].bytesSent == 4 * 31)
    }

    @Test("IID over 5 sites: federated logistic regression reaches the central pooled AUROC within 0.01")
    func iidMatchesCentral() async throws {
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        let sites = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 5).enumerated().map {
            InMemorySite(name: "site-\($0.offset)", table: $0.element, holdoutFraction: 0.2, seed: UInt64($0.offset))
        }
        let definition = try EngineFixtures.definition(EngineFixtures.logisticRegression)
        let configuration = FederationConfiguration(
            runID: "iid", definition: definition, schema: schema, rounds: 20,
            local: LocalWork(epochs: 1, batchSize: 16, optimizer: .sgd(), learningRate: 0.1), evaluateEvery: 20, seed: 1)
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        let result = try await engine.run(sites: sites)
        let federatedAUROC = try #require(result.history.last?.auroc)

        // Central: the same model trained on all rows (80/20 split), scored the same way.
        let dataset = try Dataset(contentsOf: EngineFixtures.csv("breast_cancer_wdbc"), schema: schema,
                                  fractions: SplitFractions(train: 0.8, validation: 0, test: 0.2), seed: 1)
        var generator = SeededGenerator(seed: 1)
        var network = Network(definition: definition, inputWidth: 30, outputWidth: 1, using: &generator)
        _ = try Trainer(options: TrainingOptions(epochs: 20, batchSize: 16, learningRate: 0.1, optimizer: .sgd(), blasThreads: .unchanged))
            .train(&network, loss: .binaryCrossEntropy, training: LabeledData(features: dataset.train.features, labels: dataset.train.labels))
        let logits = network.predictLogits(dataset.test.features)
        let centralAUROC = try #require(BinaryPredictions(scores: logits.scalars, labels: dataset.test.labels).auroc().doubleValue)
        #expect(abs(federatedAUROC - centralAUROC) <= 0.01, "federated \(federatedAUROC), central \(centralAUROC)")
        #expect(federatedAUROC > 0.98)
        #expect((result.history.last?.evaluationRecords ?? 0) >= 100)  // about 20% of 569 rows, pooled
    }

    @Test("sites that throw, return NaN, a wrong shape or an oversized delta are dropped with a reason; the run goes on")
    func faultySitesAreExcluded() async throws {
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        let tables = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 6)
        let healthy = (0..<2).map { InMemorySite(name: "good-\($0)", table: tables[$0]) }
        let faults: [FaultySite.Fault] = [.throwsError, .nonFinite, .wrongShape, .oversized]
        let faulty = faults.enumerated().map { index, fault in
            FaultySite(name: "bad-\(index)", fault: fault, inner: InMemorySite(name: "bad-\(index)", table: tables[2 + index]))
        }
        let configuration = FederationConfiguration(
            runID: "faults", definition: try EngineFixtures.definition(EngineFixtures.logisticRegression), schema: schema,
            rounds: 2, sampling: SiteSampling(size: .all, minimum: 2),
            local: LocalWork(epochs: 1, batchSize: 16), privacy: TaskPrivacy(deltaClipNorm: 5), evaluateEvery: 2)
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        let result = try await engine.run(sites: healthy + faulty)
        #expect(result.history.count == 2)
        for record in result.history {
            #expect(record.answered == ["good-0", "good-1"])
            #expect(record.dropped["bad-0"]?.contains("disk on fire") == true)
            #expect(record.dropped["bad-1"]?.contains("NaN") == true)
            #expect(record.dropped["bad-2"]?.contains("values, the model has") == true)
            #expect(record.dropped["bad-3"]?.contains("exceeds the clip bound") == true)
        }
        #expect((result.history.last?.auroc ?? 0) > 0.9)
    }

    @Test("a site that misses the deadline is dropped from the round")
    func deadline() async throws {
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        let tables = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 3)
        let sites: [any SiteConnection] = [
            InMemorySite(name: "a", table: tables[0]), InMemorySite(name: "b", table: tables[1]),
            FaultySite(name: "slow", fault: .slow, inner: InMemorySite(name: "slow", table: tables[2])),
        ]
        let configuration = FederationConfiguration(
            runID: "deadline", definition: try EngineFixtures.definition(EngineFixtures.logisticRegression), schema: schema,
            rounds: 1, sampling: SiteSampling(size: .all, minimum: 2), evaluateEvery: 5, deadlineSeconds: 1)
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        let result = try await engine.run(sites: sites)
        #expect(result.history[0].answered == ["a", "b"])
        #expect(result.history[0].dropped["slow"]?.contains("deadline") == true)
    }

    @Test("a site that refuses the preprocessing is left out of the statistics; below the minimum the run stops with the reasons")
    func preprocessingRefusal() async throws {
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        let tables = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 3)
        let honest = [InMemorySite(name: "a", table: tables[0]), InMemorySite(name: "b", table: tables[1])]
        let refusing = FaultySite(name: "c", fault: .refusesEverything, inner: InMemorySite(name: "c", table: tables[2]))
        func configuration(minimum: Int) throws -> FederationConfiguration {
            FederationConfiguration(
                runID: "refusal", definition: try EngineFixtures.definition(EngineFixtures.logisticRegression), schema: schema,
                rounds: 2, sampling: SiteSampling(size: .all, minimum: minimum), evaluateEvery: 5)
        }
        var engine = RoundEngine(configuration: try configuration(minimum: 2), strategy: try FedAvg())
        let result = try await engine.run(sites: honest + [refusing])
        #expect(result.history.map(\.answered) == [["a", "b"], ["a", "b"]])
        #expect(result.history.allSatisfy { $0.dropped["c"]?.contains("outside this site's policy") == true })
        // The statistics are those of a and b alone.
        let pooled = try await RoundEngine.sharedPreprocessing(schema: schema, sites: honest).statistics
        #expect(result.model.preprocessing == pooled)

        var strict = RoundEngine(configuration: try configuration(minimum: 3), strategy: try FedAvg())
        do {
            _ = try await strict.run(sites: honest + [refusing])
            Issue.record("the run should have stopped at the preprocessing")
        } catch {
            let message = "\(error)"
            #expect(message.contains("preprocessing: 2 of 3") && message.contains("minimum is 3") && message.contains("outside this site's policy"),
                    "\(message)")
        }
    }

    @Test("a cosine schedule sends round r (0-based) of R the learning rate ½·η·(1 + cos(π·r/R))")
    func cosineRounds() async throws {
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        let tables = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 2)
        let recorder = RecordingSite(inner: InMemorySite(name: "a", table: tables[0]))
        var configuration = FederationConfiguration(
            runID: "cosine", definition: try EngineFixtures.definition(EngineFixtures.logisticRegression), schema: schema,
            rounds: 4, local: LocalWork(epochs: 1, batchSize: 16, learningRate: 0.2), evaluateEvery: 10)
        configuration.roundSchedule = .cosine
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        _ = try await engine.run(sites: [recorder, InMemorySite(name: "b", table: tables[1])])
        let expected: [Float] = [0.2, 0.2 * 0.853_553_4, 0.1, 0.2 * 0.146_446_6]
        let rates = recorder.learningRates
        #expect(rates.count == 4 && zip(rates, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(rates)")

        let plan = try Plan.parse(yaml: "name: c\nmodel: logistic-regression\nlabel: malignant\nrounds: 4\n"
            + "data: \(EngineFixtures.csv("breast_cancer_wdbc").path)\npartition: {kind: iid, sites: 2}\nlocal: {schedule: cosine}\n")
        let simulation = try Simulation(plan: plan, modelsDirectory: EngineFixtures.packageRoot.appendingPathComponent("Models"), runID: "c")
        #expect(simulation.configuration.roundSchedule == .cosine)
    }

    @Test("a round below the minimum fails with the round, the counts and every site's reason")
    func minimumNotMet() async throws {
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        let tables = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 2)
        let sites: [any SiteConnection] = [
            InMemorySite(name: "a", table: tables[0]),
            FaultySite(name: "b", fault: .throwsError, inner: InMemorySite(name: "b", table: tables[1])),
        ]
        let configuration = FederationConfiguration(
            runID: "min", definition: try EngineFixtures.definition(EngineFixtures.logisticRegression), schema: schema,
            rounds: 3, sampling: SiteSampling(size: .all, minimum: 2))
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        do {
            _ = try await engine.run(sites: sites)
            Issue.record("the round should have failed")
        } catch {
            let message = "\(error)"
            #expect(message.contains("round 1") && message.contains("1 of 2") && message.contains("minimum is 2") && message.contains("disk on fire"))
        }
    }

    @Test("site-unit DP: the run's recorded ε equals the accountant's for q = m/N, σ and the rounds; the run stops at its budget")
    func siteLevelPrivacy() async throws {
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        let sites = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 5).enumerated().map {
            InMemorySite(name: "s\($0.offset)", table: $0.element)
        }
        let privacy = TaskPrivacy(unit: .site, deltaClipNorm: 0.5, noiseMultiplier: 1.2, noiseSeed: 4, delta: 1e-5)
        let configuration = FederationConfiguration(
            runID: "dpfedavg", definition: try EngineFixtures.definition(EngineFixtures.logisticRegression), schema: schema,
            rounds: 6, sampling: SiteSampling(size: .count(2), minimum: 2), privacy: privacy, evaluateEvery: 10)
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg(weighting: .uniform))
        let result = try await engine.run(sites: sites)
        let expected = RDPAccountant().epsilon(
            of: try SubsampledGaussian(samplingRate: 2.0 / 5.0, noiseMultiplier: 1.2), steps: 6, delta: 1e-5).epsilon
        let recorded = try #require(result.history.last?.epsilon["run"])
        #expect(abs(recorded - expected) <= 1e-9 * expected)
        #expect(result.model.provenance.privacy?.contains("per site") == true)

        // A budget between the ε after 3 and after 4 rounds stops the run before round 4.
        let after3 = RDPAccountant().epsilon(of: try SubsampledGaussian(samplingRate: 0.4, noiseMultiplier: 1.2), steps: 3, delta: 1e-5).epsilon
        let after4 = RDPAccountant().epsilon(of: try SubsampledGaussian(samplingRate: 0.4, noiseMultiplier: 1.2), steps: 4, delta: 1e-5).epsilon
        var budgeted = configuration
        budgeted.runBudgetEpsilon = (after3 + after4) / 2
        var limited = RoundEngine(configuration: budgeted, strategy: try FedAvg(weighting: .uniform))
        let stopped = try await limited.run(sites: sites)
        #expect(stopped.history.count == 3)
        #expect(stopped.stoppedEarly?.contains("before round 4") == true)
        #expect((stopped.history.last?.epsilon["run"] ?? .infinity) <= budgeted.runBudgetEpsilon ?? 0)
    }

    @Test("record-unit DP: each site's ε equals the accountant's for its q, σ and local steps")
    func recordLevelPrivacy() async throws {
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        let tables = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 2)
        let sites = tables.enumerated().map { InMemorySite(name: "h\($0.offset)", table: $0.element, holdoutFraction: 0.2, seed: 7) }
        let privacy = TaskPrivacy(unit: .record, exampleClipNorm: 1, deltaClipNorm: 10, noiseMultiplier: 1.1, noiseSeed: 2, delta: 1e-5)
        let configuration = FederationConfiguration(
            runID: "dpsgd", definition: try EngineFixtures.definition(EngineFixtures.logisticRegression), schema: schema,
            rounds: 3, local: LocalWork(epochs: 1, batchSize: 20, learningRate: 0.2), privacy: privacy, evaluateEvery: 3)
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        let result = try await engine.run(sites: sites)
        for site in sites {
            let records = await site.ledger.charges.first.map { $0.mechanism.samplingRate } ?? 0
            let trainingRows = Int((20 / records).rounded())
            let steps = 3 * ((trainingRows + 19) / 20)
            let expected = RDPAccountant().epsilon(
                of: try SubsampledGaussian(samplingRate: 20 / Double(trainingRows), noiseMultiplier: 1.1), steps: steps, delta: 1e-5).epsilon
            let recorded = try #require(result.history.last?.epsilon[site.name])
            #expect(abs(recorded - expected) <= 1e-9 * expected, "\(site.name): \(recorded) vs \(expected)")
        }
        #expect((result.history.last?.auroc ?? 0) > 0.9)
    }

    @Test("multi-class: pooled accuracy and macro-F1 come from summed site confusion matrices")
    func multiclassEvaluation() async throws {
        let schema = try EngineFixtures.schema("fetal_health")
        let sites = try EngineFixtures.iidSites("fetal_health", count: 3).enumerated().map {
            InMemorySite(name: "s\($0.offset)", table: $0.element, holdoutFraction: 0.2, seed: UInt64($0.offset))
        }
        let configuration = FederationConfiguration(
            runID: "multi", definition: try EngineFixtures.definition("name: m\nlayers: [{dense: 16}, relu, {dense: output}]\n"),
            schema: schema, rounds: 10, local: LocalWork(epochs: 1, batchSize: 32, learningRate: 0.1), evaluateEvery: 10, minimumEvaluationRecords: 10)
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        let result = try await engine.run(sites: sites)
        let last = try #require(result.history.last)
        #expect(last.auroc == nil)
        let accuracy = try #require(last.accuracy), macroF1 = try #require(last.macroF1)
        #expect(accuracy > 0.85, "accuracy \(accuracy)")
        #expect(macroF1 > 0.6 && macroF1 <= accuracy + 0.1, "macro-F1 \(macroF1)")
        // Pooled accuracy is the record-weighted mean of the per-site accuracies.
        let perSite = try #require(last.perSite)
        let weighted = perSite.values.reduce(0.0) { $0 + $1.accuracy * Double($1.records) } / Double(perSite.values.reduce(0) { $0 + $1.records })
        #expect(abs(weighted - accuracy) < 1e-12)
        // Each site also has the plan's metrics on its own holdout, the undefined ones left out.
        for (site, metrics) in perSite {
            let values = try #require(metrics.metrics, "\(site)")
            #expect(values["accuracy"] == metrics.accuracy, "\(site)")
            #expect((values["log_loss"] ?? 0) > 0, "\(site)")
            #expect(values["auroc"] == nil, "\(site): AUROC is binary")
        }
        // The pooled log-loss is the record-weighted mean of the sites' log-losses.
        let pooledLoss = perSite.values.reduce(0.0) { $0 + ($1.metrics?["log_loss"] ?? 0) * Double($1.records) }
            / Double(perSite.values.reduce(0) { $0 + $1.records })
        #expect(abs(pooledLoss - (last.metrics["log_loss"] ?? 0)) < 1e-9)
    }

    @Test("local work in steps runs exactly that many steps per site and round, whatever the site's size")
    func localWorkInSteps() async throws {
        let schema = try EngineFixtures.schema("breast_cancer_wdbc")
        let sites = try EngineFixtures.iidSites("breast_cancer_wdbc", count: 2).enumerated().map {
            InMemorySite(name: "s\($0.offset)", table: $0.element, holdoutFraction: 0.2, seed: 1)
        }
        let privacy = TaskPrivacy(unit: .record, exampleClipNorm: 1, noiseMultiplier: 1, noiseSeed: 3, delta: 1e-5)
        let configuration = FederationConfiguration(
            runID: "steps", definition: try EngineFixtures.definition(EngineFixtures.logisticRegression), schema: schema,
            rounds: 2, local: LocalWork(steps: 7, batchSize: 8, learningRate: 0.1), privacy: privacy, evaluateEvery: 2)
        var engine = RoundEngine(configuration: configuration, strategy: try FedAvg())
        let result = try await engine.run(sites: sites)
        #expect(result.history.count == 2)
        for site in sites {
            let charges = await site.ledger.charges
            #expect(charges.count == 2)
            #expect(charges.allSatisfy { $0.steps == 7 }, "\(charges)")
        }
    }
}
