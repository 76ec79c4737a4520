import CohortData
import CohortLearn
import CohortPrivacy
import Foundation
import Testing
@testable import CohortFederation

@Suite("Plans run as simulations", .serialized)
struct SimulationTests {
    static let models = EngineFixtures.packageRoot.appendingPathComponent("Models")

    static func run(_ plan: Plan) async throws -> RoundEngine.Result {
        let simulation = try Simulation(plan: plan, modelsDirectory: models, runID: plan.name)
        var engine = RoundEngine(configuration: simulation.configuration, strategy: simulation.strategy)
        return try await engine.run(sites: simulation.sites)
    }

    @Test("with Dirichlet(0.3) label skew over 10 sites, FedProx does no worse than FedAvg")
    func fedProxVersusFedAvg() async throws {
        let plan = try Plan.load(from: EngineFixtures.packageRoot.appendingPathComponent("Examples/breast-cancer-dirichlet.yaml"),
                                 modelsDirectory: Self.models)
        #expect(plan.strategy.kind == .fedProx)
        var fedAvgPlan = plan
        fedAvgPlan.strategy = StrategyConfiguration(.fedAvg)
        let prox = try await Self.run(plan)
        let avg = try await Self.run(fedAvgPlan)
        let proxAUROC = try #require(prox.history.last?.auroc), avgAUROC = try #require(avg.history.last?.auroc)
        print("Dirichlet(0.3), 10 sites: FedProx AUROC \(proxAUROC), FedAvg AUROC \(avgAUROC)")
        // "No worse" up to the noise of a 114-record pooled holdout (one ranking swap ≈ 0.0002).
        #expect(proxAUROC >= avgAUROC - 0.002, "FedProx \(proxAUROC) vs FedAvg \(avgAUROC)")
    }

    @Test("record-level DP at target ε 3 finishes within every site's budget; its ε is the accountant's")
    func privateRunWithinBudget() async throws {
        let plan = try Plan.load(from: EngineFixtures.packageRoot.appendingPathComponent("Examples/breast-cancer-dp.yaml"),
                                 modelsDirectory: Self.models)
        let result = try await Self.run(plan)
        #expect(result.stoppedEarly == nil)
        #expect(result.history.count == plan.rounds)
        let epsilons = try #require(result.history.last?.epsilon)
        #expect(epsilons.count == 5)
        #expect(epsilons.values.allSatisfy { $0 <= 3 && $0 > 2.5 }, "\(epsilons)")
        #expect((result.history.last?.auroc ?? 0) > 0.95)
    }

    @Test("a plan may name its sites without data (a real federation's); a simulation of it is refused naming the field")
    func sitesWithoutData() throws {
        let plan = try Plan.parse(yaml: "name: real\nmodel: logistic-regression\nlabel: malignant\nrounds: 2\nsites:\n  - {name: a}\n  - {name: b}\n")
        guard case .sites(let sites) = plan.data else { Issue.record("expected sites"); return }
        #expect(sites.map(\.name) == ["a", "b"] && sites.allSatisfy { $0.data == nil })
        #expect(plan.data.files.isEmpty)
        do {
            _ = try Simulation(plan: plan, modelsDirectory: Self.models, runID: "real")
            Issue.record("a simulation without data ran")
        } catch {
            #expect("\(error)".contains("sites[0].data"), "\(error)")
        }
    }

    @Test("a site-unit plan with adaptive clipping runs: the bound moves from `clip` each round and ε is the plan's σ's")
    func adaptiveClippingPlanRuns() async throws {
        let yaml = "name: u\nmodel: logistic-regression\nlabel: malignant\nrounds: 8\nsimulation: true\n"
            + "data: \(EngineFixtures.csv("breast_cancer_wdbc").path)\npartition: {kind: iid, sites: 4}\n"
            + "privacy: {unit: site, clip: 5, noise_multiplier: 1, noise: seeded, adaptive_clipping: {target_quantile: 0.5}}\n"
        let result = try await Self.run(try Plan.parse(yaml: yaml, source: "u.yaml"))
        #expect(result.history.count == 8)
        #expect(result.history.first?.clipNorm == 5)
        let bounds = result.history.compactMap(\.clipNorm)
        #expect(bounds.count == 8 && Set(bounds).count == 8, "\(bounds)")
        #expect(result.history.allSatisfy { $0.unclippedFraction?.isFinite == true })
        // Every site answers every round: q = 1, so ε is that of 8 plain Gaussian steps at σ = 1.
        let expected = RDPAccountant().epsilon(of: try SubsampledGaussian.gaussian(noiseMultiplier: 1), steps: 8, delta: 1e-5)
        let recorded = try #require(result.history.last?.epsilon["run"])
        #expect(abs(recorded - expected.epsilon) / expected.epsilon < 1e-9)
    }
}
