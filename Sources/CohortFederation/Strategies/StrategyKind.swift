/// The aggregation algorithms a plan can name in `strategy.name`, each with its paper.
///
/// | name | paper |
/// |---|---|
/// | `fedavg` | McMahan et al., AISTATS 2017, Algorithm 1 |
/// | `fedavgm` | Hsu, Qi, Brown, arXiv:1909.06335, 2019 |
/// | `fedprox` | Li et al., MLSys 2020, Algorithm 2 |
/// | `fedadagrad`, `fedadam`, `fedyogi` | Reddi et al., ICLR 2021, Algorithm 2 |
/// | `median`, `trimmed_mean` | Yin, Chen, Ramchandran, Bartlett, ICML 2018, Definitions 1–2 |
public enum StrategyKind: String, Codable, Sendable, Hashable, CaseIterable {
    /// Federated averaging, `FedAvg`.
    case fedAvg = "fedavg"
    /// FedAvg with server momentum, `FedAvgM`.
    case fedAvgM = "fedavgm"
    /// FedAvg on the server with a proximal term at the sites, `FedProx`.
    case fedProx = "fedprox"
    /// Adagrad on the server, `FedAdagrad`.
    case fedAdagrad = "fedadagrad"
    /// Adam on the server, `FedAdam`.
    case fedAdam = "fedadam"
    /// Yogi on the server, `FedYogi`.
    case fedYogi = "fedyogi"
    /// Coordinate-wise median, `CoordinateMedian`.
    case median = "median"
    /// Coordinate-wise trimmed mean, `TrimmedMean`.
    case trimmedMean = "trimmed_mean"

    /// The settings (besides `name`) that apply to this strategy; a plan that gives any other
    /// is rejected, since the setting would be silently ignored.
    public var settings: [StrategyConfiguration.Field] {
        switch self {
        case .fedAvg: [.serverLearningRate, .weighting]
        case .fedAvgM: [.serverLearningRate, .momentum, .weighting]
        case .fedProx: [.serverLearningRate, .proximalMu, .weighting]
        case .fedAdagrad: [.serverLearningRate, .beta1, .tau, .weighting]
        case .fedAdam, .fedYogi: [.serverLearningRate, .beta1, .beta2, .tau, .weighting]
        case .median: [.serverLearningRate]
        case .trimmedMean: [.serverLearningRate, .trimFraction]
        }
    }

    /// Whether the strategy needs every delta at once (and so one model per site in memory).
    public var needsAllUpdates: Bool { self == .median || self == .trimmedMean }
}
