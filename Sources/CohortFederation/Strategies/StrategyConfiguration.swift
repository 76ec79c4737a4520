/// The plan's `strategy` section: which aggregation algorithm the server runs, with its
/// settings; unset settings take the strategy's documented default.
///
/// In YAML (snake_case keys, every key but `name` optional):
///
/// ```yaml
/// strategy:
///   name: fedadam                 # fedavg | fedavgm | fedprox | fedadagrad | fedadam | fedyogi | median | trimmed_mean
///   server_learning_rate: 0.01    # η, all strategies
///   beta1: 0.9                    # β₁, fedadagrad/fedadam/fedyogi
///   beta2: 0.99                   # β₂, fedadam/fedyogi
///   tau: 0.001                    # τ, fedadagrad/fedadam/fedyogi
///   weighting: records            # records | uniform, all but median/trimmed_mean
/// # momentum: 0.9                 # β, fedavgm
/// # proximal_mu: 0.01             # μ, fedprox (sent to the sites)
/// # trim_fraction: 0.1            # β, trimmed_mean (required)
/// ```
///
/// `strategy: fedavg` (a bare name) is short for `{name: fedavg}`. Unknown keys are decoding
/// errors; a key that does not apply to the named strategy, or a value out of range, is an
/// error from `validate()` naming the field, e.g.
/// `strategy.trim_fraction must be in [0, 0.5), got 0.6`.
public struct StrategyConfiguration: Sendable, Hashable {
    /// The configuration's keys, as written in a plan.
    public enum Field: String, CodingKey, Sendable, Hashable, CaseIterable {
        /// The strategy's name, a `StrategyKind`.
        case name
        /// η, the server learning rate.
        case serverLearningRate = "server_learning_rate"
        /// β of FedAvgM.
        case momentum
        /// β₁ of the adaptive strategies.
        case beta1
        /// β₂ of FedAdam and FedYogi.
        case beta2
        /// τ of the adaptive strategies.
        case tau
        /// β of the trimmed mean.
        case trimFraction = "trim_fraction"
        /// `records` or `uniform`.
        case weighting
        /// μ of FedProx.
        case proximalMu = "proximal_mu"
    }

    /// Which algorithm.
    public var kind: StrategyKind
    /// η; default 1 (FedAvg, FedAvgM, FedProx, median, trimmed mean), 0.1 (FedAdam,
    /// FedAdagrad), 0.01 (FedYogi).
    public var serverLearningRate: Double?
    /// FedAvgM's β; default 0.9.
    public var momentum: Double?
    /// β₁; default 0.9 (FedAdam, FedYogi), 0 (FedAdagrad).
    public var beta1: Double?
    /// β₂; default 0.99.
    public var beta2: Double?
    /// τ; default 1e-9 (FedAdam, FedAdagrad), 1e-3 (FedYogi).
    public var tau: Double?
    /// The trimmed mean's β; required for `trimmed_mean`.
    public var trimFraction: Double?
    /// Default `records`.
    public var weighting: Weighting?
    /// FedProx's μ; default 0.01.
    public var proximalMu: Double?

    /// A configuration for `kind`; settings left `nil` take the strategy's default.
    public init(
        _ kind: StrategyKind, serverLearningRate: Double? = nil, momentum: Double? = nil,
        beta1: Double? = nil, beta2: Double? = nil, tau: Double? = nil, trimFraction: Double? = nil,
        weighting: Weighting? = nil, proximalMu: Double? = nil
    ) {
        self.kind = kind
        self.serverLearningRate = serverLearningRate
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.tau = tau
        self.trimFraction = trimFraction
        self.weighting = weighting
        self.proximalMu = proximalMu
    }

    /// FedAvg weighted by records with η = 1: a plan without a `strategy` section.
    public static let `default` = StrategyConfiguration(.fedAvg)

    /// The settings given, by field.
    var givenSettings: [Field] {
        var given: [Field] = []
        if serverLearningRate != nil { given.append(.serverLearningRate) }
        if momentum != nil { given.append(.momentum) }
        if beta1 != nil { given.append(.beta1) }
        if beta2 != nil { given.append(.beta2) }
        if tau != nil { given.append(.tau) }
        if trimFraction != nil { given.append(.trimFraction) }
        if weighting != nil { given.append(.weighting) }
        if proximalMu != nil { given.append(.proximalMu) }
        return given
    }

    /// Checks that every given setting applies to the strategy and is in range, and that
    /// required settings are present.
    ///
    /// - Throws: `invalidConfiguration`, naming the field: `strategy.momentum does not apply to
    ///   fedadam …`, `strategy.beta2 must be in [0, 1), got 1.0`, `strategy.trim_fraction is
    ///   required for trimmed_mean …`.
    public func validate() throws(StrategyError) {
        _ = try makeStrategy()
    }

    /// The strategy this configuration describes, validated, with defaults filled in.
    ///
    /// - Throws: as `validate()`.
    public func makeStrategy() throws(StrategyError) -> any FederatedStrategy {
        let applicable = kind.settings
        for field in givenSettings where !applicable.contains(field) {
            let names = applicable.map(\.rawValue).joined(separator: ", ")
            throw StrategyError(
                .invalidConfiguration,
                "\(SettingCheck.path(field)) does not apply to \(kind.rawValue) (its settings: \(names))")
        }
        let eta = serverLearningRate
        let weighting = weighting ?? .byRecords
        switch kind {
        case .fedAvg:
            return try FedAvg(serverLearningRate: eta ?? FedAvg.defaultServerLearningRate, weighting: weighting)
        case .fedAvgM:
            return try FedAvgM(
                serverLearningRate: eta ?? FedAvgM.defaultServerLearningRate,
                momentum: momentum ?? FedAvgM.defaultMomentum, weighting: weighting)
        case .fedProx:
            return try FedProx(
                proximalMu: proximalMu ?? FedProx.defaultProximalMu,
                serverLearningRate: eta ?? FedAvg.defaultServerLearningRate, weighting: weighting)
        case .fedAdagrad:
            return try FedAdagrad(
                serverLearningRate: eta ?? FedAdagrad.defaultServerLearningRate,
                beta1: beta1 ?? FedAdagrad.defaultBeta1, tau: tau ?? FedAdagrad.defaultTau, weighting: weighting)
        case .fedAdam:
            return try FedAdam(
                serverLearningRate: eta ?? FedAdam.defaultServerLearningRate, beta1: beta1 ?? FedAdam.defaultBeta1,
                beta2: beta2 ?? FedAdam.defaultBeta2, tau: tau ?? FedAdam.defaultTau, weighting: weighting)
        case .fedYogi:
            return try FedYogi(
                serverLearningRate: eta ?? FedYogi.defaultServerLearningRate, beta1: beta1 ?? FedYogi.defaultBeta1,
                beta2: beta2 ?? FedYogi.defaultBeta2, tau: tau ?? FedYogi.defaultTau, weighting: weighting)
        case .median:
            return try CoordinateMedian(serverLearningRate: eta ?? FedAvg.defaultServerLearningRate)
        case .trimmedMean:
            guard let trimFraction else {
                throw StrategyError(
                    .invalidConfiguration,
                    "\(SettingCheck.path(.trimFraction)) is required for trimmed_mean: the fraction of updates, "
                        + "in [0, 0.5), trimmed from each end per parameter (at least the fraction of sites that may misbehave)")
            }
            return try TrimmedMean(trimFraction: trimFraction, serverLearningRate: eta ?? FedAvg.defaultServerLearningRate)
        }
    }
}
