/// One entry in a `PrivacyLedger`: `steps` steps of a Poisson-subsampled Gaussian
/// mechanism, under a stable id.
///
/// The id makes charging idempotent: a run that restarts and replays round 3 presents the
/// same id (for example `"run-7/round-3"`) and is not charged twice. The label is for
/// people ("round 3", "local epoch 2 at hospital-a") and plays no part in matching.
public struct PrivacyCharge: Sendable, Hashable, Codable, Identifiable, CustomStringConvertible {
    /// Stable identity of this charge; charging an id already in the ledger is a no-op.
    public let id: String
    /// Human-readable description, e.g. "round 3".
    public let label: String
    /// The mechanism each step runs.
    public let mechanism: SubsampledGaussian
    /// How many steps of it, ≥ 1.
    public let steps: Int

    /// A charge of `steps` ≥ 1 steps of `mechanism`, under a non-empty `id`.
    ///
    /// - Throws: `PrivacyError.Code.invalidParameter` for an empty id or steps < 1.
    public init(id: String, label: String, mechanism: SubsampledGaussian, steps: Int) throws(PrivacyError) {
        guard !id.isEmpty else {
            throw PrivacyError(.invalidParameter, "a privacy charge needs a non-empty id (label \"\(label)\")")
        }
        guard steps >= 1 else {
            throw PrivacyError(.invalidParameter, "charge \"\(label)\" (id \(id)) must have ≥ 1 step, got \(steps)")
        }
        self.id = id
        self.label = label
        self.mechanism = mechanism
        self.steps = steps
    }

    /// A charge of `steps` steps of the subsampled Gaussian with sampling rate q and noise
    /// multiplier σ.
    ///
    /// - Throws: `PrivacyError.Code.invalidParameter` for a bad id, steps, q or σ.
    public init(
        id: String, label: String, samplingRate: Double, noiseMultiplier: Double, steps: Int
    ) throws(PrivacyError) {
        let mechanism = try SubsampledGaussian(samplingRate: samplingRate, noiseMultiplier: noiseMultiplier)
        try self.init(id: id, label: label, mechanism: mechanism, steps: steps)
    }

    /// Whether `other` charges the same thing (mechanism and steps; the label may differ).
    public func charges(sameAs other: PrivacyCharge) -> Bool {
        mechanism == other.mechanism && steps == other.steps
    }

    /// "round 3 (id run-7/round-3): 40 steps at q = 0.01, σ = 1.1".
    public var description: String {
        "\(label) (id \(id)): \(steps) step\(steps == 1 ? "" : "s") at \(mechanism)"
    }

    private enum CodingKeys: String, CodingKey {
        case id
        case label
        case samplingRate
        case noiseMultiplier
        case steps
    }

    /// Decodes `{"id", "label", "samplingRate", "noiseMultiplier", "steps"}` and validates it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let id = try container.decode(String.self, forKey: .id)
        let label = try container.decode(String.self, forKey: .label)
        let q = try container.decode(Double.self, forKey: .samplingRate)
        let sigma = try container.decode(Double.self, forKey: .noiseMultiplier)
        let steps = try container.decode(Int.self, forKey: .steps)
        do {
            try self.init(id: id, label: label, samplingRate: q, noiseMultiplier: sigma, steps: steps)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .id, in: container, debugDescription: error.message)
        }
    }

    /// Encodes the flat form `init(from:)` reads, which an audit log can show as it is.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(label, forKey: .label)
        try container.encode(mechanism.samplingRate, forKey: .samplingRate)
        try container.encode(mechanism.noiseMultiplier, forKey: .noiseMultiplier)
        try container.encode(steps, forKey: .steps)
    }
}
