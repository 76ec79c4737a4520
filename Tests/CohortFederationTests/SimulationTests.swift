import CohortData
import CohortLearn
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

    @Test("plan settings the engine does not implement yet are refused, not ignored")
    func unsupportedSettingsRefused() throws {
        let base = "name: u\nmodel: logistic-regression\nlabel: malignant\nrounds: 2\nsimulation: true\n"
            + "data: \(EngineFixtures.csv("breast_cancer_wdbc").path)\npartition: {kind: iid, sites: 2}\n"
        let cases = [
            ("privacy: {unit: site, clip: 1, noise_multiplier: 1, adaptive_clipping: {target_quantile: 0.5}}\n", "privacy.adaptive_clipping"),
        ]
        for (extra, field) in cases {
            let plan = try Plan.parse(yaml: base + extra, source: "u.yaml")
            do {
                _ = try Simulation(plan: plan, modelsDirectory: Self.models, runID: "u")
                Issue.record("accepted \(extra)")
            } catch {
                #expect("\(error)".contains(field), "\(error)")
            }
        }
    }
}
