import CohortPrivacy

/// How a site releases its preprocessing aggregates when the plan says
/// `privacy.noise_preprocessing: true` (record unit): through the Gaussian mechanism with
/// noise multiplier σ_pre (`FeatureAggregates.noisedRelease`), charged to the site's ledger
/// as one step at q = 1 (`charge(id:)`) before the aggregates leave.
public struct PreprocessingNoise: Sendable, Equatable {
    /// The run (it names the charge).
    public var runID: String
    /// σ_pre: the noise std is σ_pre · Δ₂, Δ₂ the release's L2 sensitivity to one record.
    public var noiseMultiplier: Double
    /// Seeded noise (simulations and tests only), else secure noise.
    public var noiseSeed: UInt64?
    /// δ at which ε is reported.
    public var delta: Double
    /// The most ε a site may spend on this run; a release that would pass it is refused.
    public var siteBudgetEpsilon: Double?

    public init(runID: String, noiseMultiplier: Double, noiseSeed: UInt64? = nil, delta: Double = 1e-5,
                siteBudgetEpsilon: Double? = nil) {
        self.runID = runID
        self.noiseMultiplier = noiseMultiplier
        self.noiseSeed = noiseSeed
        self.delta = delta
        self.siteBudgetEpsilon = siteBudgetEpsilon
    }

    /// The charge id of a run's preprocessing release: "RUN/preprocessing".
    public static func chargeID(runID: String) -> String { "\(runID)/preprocessing" }

    /// One step of the Gaussian mechanism, q = 1 and σ_pre: RDP α/(2σ_pre²) at every order α
    /// (Mironov, "Rényi Differential Privacy", CSF 2017, Proposition 7), under `id` (default
    /// "RUN/preprocessing").
    public func charge(id: String? = nil) throws -> PrivacyCharge {
        try PrivacyCharge(
            id: id ?? Self.chargeID(runID: runID), label: "preprocessing statistics", samplingRate: 1,
            noiseMultiplier: noiseMultiplier, steps: 1)
    }
}
