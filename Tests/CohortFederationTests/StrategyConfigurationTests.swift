import CohortFederation
import Foundation
import Testing

@Suite("StrategyConfiguration")
struct StrategyConfigurationTests {
    func decode(_ json: String) throws -> StrategyConfiguration {
        try JSONDecoder().decode(StrategyConfiguration.self, from: Data(json.utf8))
    }

    @Test("decodes snake_case settings and round-trips through JSON")
    func codableRoundTrip() throws {
        let configuration = try decode(
            #"{"name": "fedadam", "server_learning_rate": 0.01, "beta1": 0.8, "beta2": 0.999, "tau": 0.001, "weighting": "uniform"}"#)
        #expect(configuration == StrategyConfiguration(
            .fedAdam, serverLearningRate: 0.01, beta1: 0.8, beta2: 0.999, tau: 0.001, weighting: .uniform))
        let encoded = try JSONEncoder().encode(configuration)
        let text = String(decoding: encoded, as: UTF8.self)
        #expect(text.contains("\"server_learning_rate\""))
        #expect(text.contains("\"uniform\""))
        #expect(try JSONDecoder().decode(StrategyConfiguration.self, from: encoded) == configuration)
    }

    @Test("every strategy's configuration round-trips", arguments: [
        StrategyConfiguration(.fedAvg, serverLearningRate: 0.5, weighting: .byRecords),
        StrategyConfiguration(.fedAvgM, momentum: 0.5),
        StrategyConfiguration(.fedProx, proximalMu: 0.1),
        StrategyConfiguration(.fedAdagrad, beta1: 0, tau: 1e-3),
        StrategyConfiguration(.fedYogi, beta2: 0.9),
        StrategyConfiguration(.median),
        StrategyConfiguration(.trimmedMean, trimFraction: 0.25),
    ])
    func everyKindRoundTrips(_ configuration: StrategyConfiguration) throws {
        let encoded = try JSONEncoder().encode(configuration)
        #expect(try JSONDecoder().decode(StrategyConfiguration.self, from: encoded) == configuration)
        try configuration.validate()
        #expect(try configuration.makeStrategy().name == configuration.kind.rawValue)
    }

    @Test("a bare name is short for {name: …} with defaults")
    func bareName() throws {
        #expect(try decode(#""fedyogi""#) == StrategyConfiguration(.fedYogi))
        let strategy = try decode(#""fedavg""#).makeStrategy()
        #expect(strategy is FedAvg)
        #expect(strategy.weighting == .byRecords)
    }

    @Test("an unknown key is an error that names it")
    func unknownKey() throws {
        let error = #expect(throws: DecodingError.self) {
            try decode(#"{"name": "fedavgm", "server_momentum": 0.9}"#)
        }
        guard case .dataCorrupted(let context) = error else {
            Issue.record("expected dataCorrupted, got \(String(describing: error))")
            return
        }
        #expect(context.codingPath.last?.stringValue == "server_momentum")
        #expect(context.debugDescription.contains("unknown field strategy.server_momentum"))
        #expect(context.debugDescription.contains("momentum"))
    }

    @Test("an unknown strategy name or weighting is an error that lists the choices")
    func unknownNameOrWeighting() throws {
        let name = #expect(throws: DecodingError.self) { try decode(#"{"name": "fedsgd"}"#) }
        guard case .dataCorrupted(let context) = name else {
            Issue.record("expected dataCorrupted")
            return
        }
        #expect(context.debugDescription.contains(#"unknown strategy "fedsgd""#))
        #expect(context.debugDescription.contains("trimmed_mean"))
        let weighting = #expect(throws: DecodingError.self) { try decode(#"{"name": "fedavg", "weighting": "sites"}"#) }
        guard case .dataCorrupted(let weightingContext) = weighting else {
            Issue.record("expected dataCorrupted")
            return
        }
        #expect(weightingContext.debugDescription == #"strategy.weighting must be "records" or "uniform", got "sites""#)
        #expect(throws: DecodingError.self) { try decode(#"{"server_learning_rate": 1}"#) }
    }

    @Test("validate() names the field out of range")
    func outOfRange() {
        let trim = #expect(throws: StrategyError.self) {
            try StrategyConfiguration(.trimmedMean, trimFraction: 0.6).validate()
        }
        #expect(trim?.message == "strategy.trim_fraction must be in [0, 0.5), got 0.6")
        #expect(trim?.code == .invalidConfiguration)
        let beta = #expect(throws: StrategyError.self) { try StrategyConfiguration(.fedAdam, beta2: 1.5).validate() }
        #expect(beta?.message == "strategy.beta2 must be in [0, 1), got 1.5")
        let rate = #expect(throws: StrategyError.self) {
            try StrategyConfiguration(.median, serverLearningRate: -1).validate()
        }
        #expect(rate?.message == "strategy.server_learning_rate must be finite and > 0, got -1.0")
    }

    @Test("a setting that does not apply to the named strategy is an error, not ignored")
    func inapplicableSetting() {
        let error = #expect(throws: StrategyError.self) { try StrategyConfiguration(.fedAdam, momentum: 0.9).validate() }
        #expect(error?.message.hasPrefix("strategy.momentum does not apply to fedadam") == true)
        #expect(throws: StrategyError.self) { try StrategyConfiguration(.median, weighting: .uniform).validate() }
        #expect(throws: StrategyError.self) { try StrategyConfiguration(.fedAvg, proximalMu: 0.1).validate() }
        #expect(throws: StrategyError.self) { try StrategyConfiguration(.fedAdagrad, beta2: 0.9).validate() }
    }

    @Test("trimmed_mean requires trim_fraction")
    func trimFractionRequired() {
        let error = #expect(throws: StrategyError.self) { try StrategyConfiguration(.trimmedMean).validate() }
        #expect(error?.message.hasPrefix("strategy.trim_fraction is required for trimmed_mean") == true)
    }

    @Test("makeStrategy fills defaults and passes settings through")
    func makeStrategy() throws {
        let avg = try #require(try StrategyConfiguration.default.makeStrategy() as? FedAvg)
        #expect(avg.serverLearningRate == 1 && avg.weighting == .byRecords)
        let momentum = try #require(try StrategyConfiguration(.fedAvgM).makeStrategy() as? FedAvgM)
        #expect(momentum.momentum == 0.9 && momentum.serverLearningRate == 1)
        let prox = try StrategyConfiguration(.fedProx, weighting: .uniform, proximalMu: 0.5).makeStrategy()
        #expect(prox.proximalMu == 0.5 && prox.weighting == Weighting.uniform && !prox.needsAllUpdates)
        #expect(try StrategyConfiguration(.fedProx).makeStrategy().proximalMu == 0.01)
        let adam = try #require(try StrategyConfiguration(.fedAdam, tau: 1e-3).makeStrategy() as? FedAdam)
        #expect(adam.tau == 1e-3 && adam.serverLearningRate == 0.1 && adam.beta2 == 0.99)
        let trimmed = try StrategyConfiguration(.trimmedMean, trimFraction: 0.2).makeStrategy()
        #expect(trimmed.needsAllUpdates && trimmed.makeAccumulator(parameterCount: 1).all != nil)
        for kind in StrategyKind.allCases {
            let configuration = StrategyConfiguration(kind, trimFraction: kind == .trimmedMean ? 0.1 : nil)
            let strategy = try configuration.makeStrategy()
            #expect(strategy.name == kind.rawValue)
            #expect(strategy.needsAllUpdates == kind.needsAllUpdates)
        }
    }
}
