import CohortData
@testable import CohortFederation
import CohortLearn
import Foundation
import Testing

@Suite("Plans: loading and defaults")
struct PlanTests {
    @Test("the minimal plan parses with every default and paths resolved against its folder")
    func minimalPlanDefaults() throws {
        let base = URL(fileURLWithPath: "/data/plans/run1")
        let plan = try Plan.parse(yaml: minimalPlanYAML, source: "plan.yaml", baseDirectory: base)
        #expect(plan.name == "first-run")
        #expect(plan.model == .named("logistic-regression"))
        #expect(plan.label == "target")
        #expect(plan.schema == nil)
        #expect(plan.rounds == 30)
        #expect(plan.seed == 0)
        guard case .sites(let sites) = plan.data else {
            Issue.record("expected sites, got \(plan.data)")
            return
        }
        #expect(sites.map(\.name) == ["hospital-a", "hospital-b"])
        #expect(sites.map(\.data?.path) == ["a.csv", "b.csv"])
        #expect(sites.map(\.data?.url.path) == ["/data/plans/run1/a.csv", "/data/plans/run1/b.csv"])

        #expect(plan.sampling == Plan.Sampling(perRound: .all, minimum: 1, deadlineSeconds: 600))
        #expect(plan.local.work == .epochs(1))
        #expect(plan.local.batchSize == 32)
        #expect(plan.local.optimizer == .sgd)
        #expect(plan.local.learningRate == 0.05)
        #expect(plan.local.momentum == 0)
        #expect(plan.local.weightDecay == 0)
        #expect(plan.local.schedule == .constant)
        #expect(plan.local.optimizerConfiguration == .sgd(momentum: 0, nesterov: false, weightDecay: 0))
        #expect(plan.strategy == StrategyConfiguration.default)
        #expect(plan.privacy == Plan.Privacy())
        #expect(plan.privacy.unit == .none)
        #expect(plan.privacy.privacyUnit == nil)
        #expect(plan.evaluation == Plan.Evaluation(every: 1, holdout: 0.2, minimumRecords: 10, metrics: [.auroc, .accuracy, .logLoss]))
        #expect(plan.simulation == false)
    }

    @Test("an absolute path stays as it is; a path model is resolved, a name is not")
    func pathResolution() throws {
        let yaml = """
            name: paths
            model: ../models/custom.yaml
            label: y
            schema: /srv/schema.json
            rounds: 1
            sites: [{name: s1, data: ~/s1.csv}, {name: s2, data: sub/../s2.csv}]
            """
        let plan = try Plan.parse(yaml: yaml, baseDirectory: URL(fileURLWithPath: "/p/q"))
        #expect(plan.model == .file(Plan.FilePath("../models/custom.yaml", relativeTo: URL(fileURLWithPath: "/p/q"))))
        #expect(plan.model.loadReference == "/p/models/custom.yaml")
        #expect(plan.schema?.url.path == "/srv/schema.json")
        guard case .sites(let sites) = plan.data else { return }
        #expect(sites[0].data?.url.path == NSString(string: "~/s1.csv").expandingTildeInPath)
        #expect(sites[1].data?.url.path == "/p/q/s2.csv")
        #expect(sites[1].data?.path == "sub/../s2.csv")
    }

    @Test("data with a partition is the other form of the data section")
    func partitionedForm() throws {
        let yaml = """
            name: split
            model: mlp-small
            label: y
            rounds: 3
            data: all.csv
            partition: {kind: column, column: hospital, min_rows: 20}
            """
        let plan = try Plan.parse(yaml: yaml, baseDirectory: URL(fileURLWithPath: "/d"))
        guard case .partitioned(let file, let partition) = plan.data else {
            Issue.record("expected a partition, got \(plan.data)")
            return
        }
        #expect(file.url.path == "/d/all.csv")
        #expect(partition == Plan.Partition(method: .byColumn(name: "hospital"), minimumRows: 20, seed: nil))
        #expect(plan.data.siteCount == nil)
    }

    @Test("optimiser defaults follow the optimiser; settings map onto CohortLearn's types")
    func optimizerDefaults() throws {
        func local(_ section: String) throws -> Plan.LocalTraining {
            try Plan.parse(yaml: minimalPlanYAML + "\nlocal: \(section)\n").local
        }
        let nesterov = try local("{optimizer: nesterov}")
        #expect(nesterov.momentum == 0.9)
        #expect(nesterov.optimizerConfiguration == .sgd(momentum: 0.9, nesterov: true, weightDecay: 0))
        let adamw = try local("{optimizer: adamw, steps: 50, schedule: cosine}")
        #expect(adamw.learningRate == 0.001)
        #expect(adamw.weightDecay == 0.01)
        #expect(adamw.work == .steps(50))
        #expect(adamw.optimizerConfiguration == .adamW(weightDecay: 0.01))
        #expect(adamw.learningRateSchedule == .cosine(minimum: 0))
        let adam = try local("{optimizer: adam, learning_rate: 0.003, weight_decay: 0.0001}")
        #expect(adam.optimizerConfiguration == .adam(weightDecay: 0.0001))
        #expect(adam.learningRate == 0.003)
    }

    @Test("per_round reads all, a count or a fraction")
    func perRound() throws {
        func perRound(_ text: String) throws -> Plan.Sampling.PerRound {
            try Plan.parse(yaml: minimalPlanYAML + "\nsampling: {per_round: \(text)}\n").sampling.perRound
        }
        #expect(try perRound("all") == .all)
        #expect(try perRound("2") == .count(2))
        #expect(try perRound("0.5") == .fraction(0.5))
        #expect(try perRound("1.0") == .fraction(1))
    }

    @Test("privacy settings for each unit")
    func privacySections() throws {
        let site = try Plan.parse(yaml: minimalPlanYAML + """

            simulation: true
            privacy:
              unit: site
              clip: 0.5
              target_epsilon: 2
              delta: 1e-6
              budget_epsilon: 4
              adaptive_clipping: {target_quantile: 0.7}
              noise: seeded
              noise_preprocessing: false
            """).privacy
        #expect(site.unit == .site)
        #expect(site.privacyUnit == .site)
        #expect(site.clip == 0.5)
        #expect(site.calibration == .targetEpsilon(2))
        #expect(site.delta == 1e-6)
        #expect(site.budgetEpsilon == 4)
        #expect(site.adaptiveClipping == Plan.Privacy.AdaptiveClipping(targetQuantile: 0.7, learningRate: 0.2))
        #expect(site.noise == .seeded)
        #expect(!site.noisePreprocessing)

        let record = try Plan.parse(yaml: minimalPlanYAML + "\nprivacy: {unit: record, noise_multiplier: 1.1}\n").privacy
        #expect(record == Plan.Privacy(unit: .record, clip: 1, calibration: .noiseMultiplier(1.1), delta: 1e-5))
    }

    @Test("Plan.load checks the model, the schema and the data files, and finds the label in them")
    func loadChecksFiles() throws {
        let folder = try temporaryPlanFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let planURL = folder.appendingPathComponent("plan.yaml")
        try minimalPlanYAML.write(to: planURL, atomically: true, encoding: .utf8)

        #expect(throws: PlanError.self) { try Plan.load(from: planURL, modelsDirectory: PlanTestPaths.models) }
        do {
            _ = try Plan.load(from: planURL, modelsDirectory: PlanTestPaths.models)
        } catch {
            #expect(error.code == .missingFile)
            #expect(error.field == "sites[0].data")
            #expect(error.line == 6)
            #expect(error.message == "\(planURL.path):6: field 'sites[0].data': no such file: \(folder.appendingPathComponent("a.csv").path)")
        }

        try "x,target\n1,0\n".write(to: folder.appendingPathComponent("a.csv"), atomically: true, encoding: .utf8)
        try "x,outcome\n1,0\n".write(to: folder.appendingPathComponent("b.csv"), atomically: true, encoding: .utf8)
        do {
            _ = try Plan.load(from: planURL, modelsDirectory: PlanTestPaths.models)
            Issue.record("b.csv has no label column, but the plan loaded")
        } catch {
            #expect(error.field == "label")
            #expect(error.detail.contains("column 'target' is not in b.csv (sites[1].data)"), "\(error)")
        }

        try "x,target\n1,0\n".write(to: folder.appendingPathComponent("b.csv"), atomically: true, encoding: .utf8)
        let plan = try Plan.load(from: planURL, modelsDirectory: PlanTestPaths.models)
        #expect(plan.name == "first-run")
        guard case .sites(let sites) = plan.data else { return }
        #expect(sites[1].data?.url == folder.appendingPathComponent("b.csv").standardizedFileURL)
        #expect(try plan.loadModel(modelsDirectory: PlanTestPaths.models).name == "logistic-regression")

        let unknownModel = minimalPlanYAML.replacingOccurrences(of: "logistic-regression", with: "no-such-model")
        try unknownModel.write(to: planURL, atomically: true, encoding: .utf8)
        do {
            _ = try Plan.load(from: planURL, modelsDirectory: PlanTestPaths.models)
            Issue.record("an unknown model loaded")
        } catch {
            #expect(error.field == "model")
            #expect(error.line == 2)
            #expect(error.detail.contains("no-such-model.yaml"))
            #expect(error.detail.contains("mlp-small"), "the error lists the built-in models: \(error)")
        }
    }

    @Test("a plan file that cannot be read is an error naming it")
    func unreadablePlan() {
        let url = URL(fileURLWithPath: "/nonexistent/plan.yaml")
        do {
            _ = try Plan.load(from: url, modelsDirectory: PlanTestPaths.models)
            Issue.record("a missing plan loaded")
        } catch {
            #expect(error.code == .unreadableFile)
            #expect(error.message.hasPrefix("/nonexistent/plan.yaml: cannot read the plan"))
        }
    }
}

@Suite("Plans: the examples")
struct PlanExampleTests {
    @Test("every example plan loads, with its files found",
          arguments: ["first-run/plan.yaml", "breast-cancer-dirichlet.yaml", "breast-cancer-dp.yaml"])
    func exampleLoads(path: String) throws {
        let url = PlanTestPaths.examples.appendingPathComponent(path)
        let plan = try Plan.load(from: url, modelsDirectory: PlanTestPaths.models)
        #expect(try Plan.parse(yaml: plan.yaml(), baseDirectory: url.deletingLastPathComponent()) == plan)
    }

    @Test("first-run is the issue's minimal plan over two halves of the breast-cancer data")
    func firstRun() throws {
        let url = PlanTestPaths.examples.appendingPathComponent("first-run/plan.yaml")
        let plan = try Plan.load(from: url, modelsDirectory: PlanTestPaths.models)
        #expect(plan.label == "malignant")
        #expect(plan.rounds == 30)
        guard case .sites(let sites) = plan.data else {
            Issue.record("expected sites")
            return
        }
        let tables = try sites.map { try CSVTable(contentsOf: try #require($0.data).url) }
        let original = try CSVTable(contentsOf: PlanTestPaths.datasets.appendingPathComponent("breast_cancer_wdbc.csv"))
        #expect(tables.map(\.rowCount).reduce(0, +) == original.rowCount)
        #expect(abs(tables[0].rowCount - tables[1].rowCount) <= 1)
        #expect(tables.allSatisfy { $0.columnNames == original.columnNames })
    }

    @Test("the Dirichlet example partitions into 10 sites of at least min_rows, with FedProx")
    func dirichletExample() throws {
        let url = PlanTestPaths.examples.appendingPathComponent("breast-cancer-dirichlet.yaml")
        let plan = try Plan.load(from: url, modelsDirectory: PlanTestPaths.models)
        #expect(plan.strategy.kind == .fedProx)
        #expect(plan.strategy.proximalMu == 0.01)
        #expect(plan.simulation)
        guard case .partitioned(let file, let partition) = plan.data else {
            Issue.record("expected a partition")
            return
        }
        #expect(partition.method == .dirichlet(sites: 10, alpha: 0.3))
        let table = try CSVTable(contentsOf: file.url)
        let sites = try partition.apply(to: table, label: plan.label, planSeed: plan.seed)
        #expect(sites.siteCount == 10)
        #expect(sites.rows.allSatisfy { $0.count >= partition.minimumRows })
        #expect(sites.rowCount == table.rowCount)
    }
}
