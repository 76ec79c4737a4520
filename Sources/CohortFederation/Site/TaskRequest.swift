import CohortPrivacy

/// What a site sees of a run when it is asked to take part: enough to decide it under its
/// `SitePolicy` (`SitePolicy.check(_:)`), and nothing about other sites.
public struct TaskRequest: Sendable {
    /// The run's differential privacy as it applies to this site, with what its accounting
    /// needs (ARCHITECTURE.md, "Privacy model").
    public enum Privacy: Sendable, Hashable {
        /// No differential privacy; never accepted by a site policy.
        case none
        /// DP-SGD at this site: `steps` local steps of `batchSize` records each, over all the
        /// rounds still to run here (each round: `TaskRequest.localSteps`). Accounted as the
        /// subsampled Gaussian with q = batch / training records.
        case record(noiseMultiplier: Double, batchSize: Int, steps: Int)
        /// DP-FedAvg: each round samples sites with probability `samplingRate` (sites per
        /// round / sites), over `rounds` rounds. Accounted as the subsampled Gaussian with
        /// that q, one step per round: the orchestrator's guarantee for a site's whole
        /// contribution, which the site charges to its own ledger too.
        case site(noiseMultiplier: Double, samplingRate: Double, rounds: Int)

        /// `none`, `record` or `site`, as plans write it.
        public var unitName: String {
            switch self {
            case .none: "none"
            case .record: "record"
            case .site: "site"
            }
        }

        /// The unit as CohortPrivacy names it; nil for `.none`.
        public var unit: PrivacyUnit? {
            switch self {
            case .none: nil
            case .record: .record
            case .site: .site
            }
        }

        /// σ; nil for `.none`.
        public var noiseMultiplier: Double? {
            switch self {
            case .none: nil
            case .record(let sigma, _, _), .site(let sigma, _, _): sigma
            }
        }
    }

    /// The run's id (it names the charge in the site's ledger).
    public var runID: String
    /// The plan's `Plan.hash`.
    public var planHash: String
    /// The plan's name.
    public var planName: String
    /// The model as the plan names it (`logistic-regression`).
    public var model: String
    /// The strategy's name (`fedavg`).
    public var strategy: String
    /// The run's privacy at this site.
    public var privacy: Privacy
    /// The site's training records (its rows less the evaluation holdout).
    public var trainingRecords: Int
    /// The site's lifetime ledger so far: every run it has taken part in.
    public var ledger: PrivacyLedger
    /// Whether the run's noise is seeded (reproducible): refused unless the policy allows it.
    public var seededNoise: Bool
    /// σ_pre when the run asks for noised preprocessing statistics (record unit): one more
    /// Gaussian step, q = 1, on top of the training; nil when they are exact.
    public var preprocessingNoiseMultiplier: Double?

    public init(
        runID: String, planHash: String, planName: String, model: String, strategy: String, privacy: Privacy,
        trainingRecords: Int, ledger: PrivacyLedger, seededNoise: Bool = false, preprocessingNoiseMultiplier: Double? = nil
    ) {
        self.seededNoise = seededNoise
        self.preprocessingNoiseMultiplier = preprocessingNoiseMultiplier
        self.runID = runID
        self.planHash = planHash
        self.planName = planName
        self.model = model
        self.strategy = strategy
        self.privacy = privacy
        self.trainingRecords = trainingRecords
        self.ledger = ledger
    }

    /// The charge the run would make to the site's ledger: for the record unit, `steps`
    /// steps at q = min(batch, records) / records; for the site unit, `rounds` steps at the
    /// site sampling rate. Nil without differential privacy.
    ///
    /// - Throws: `PrivacyError` when the settings make no mechanism (σ ≤ 0, no records,
    ///   q outside (0, 1], no steps).
    public func cost() throws(PrivacyError) -> PrivacyCharge? {
        switch privacy {
        case .none:
            return nil
        case .record(let sigma, let batchSize, let steps):
            guard trainingRecords > 0, batchSize > 0 else {
                throw PrivacyError(
                    .invalidParameter,
                    "q = batch / records needs a positive batch and records, got \(batchSize) / \(trainingRecords)")
            }
            let q = Double(min(batchSize, trainingRecords)) / Double(trainingRecords)
            return try PrivacyCharge(
                id: "\(runID)/run", label: "run \(planName) (projected)", samplingRate: q, noiseMultiplier: sigma, steps: steps)
        case .site(let sigma, let q, let rounds):
            return try PrivacyCharge(
                id: "\(runID)/run", label: "run \(planName) (projected)", samplingRate: q, noiseMultiplier: sigma, steps: rounds)
        }
    }

    /// Every charge the run would make to the site's ledger: the noised preprocessing
    /// release ("RUN/preprocessing", one Gaussian step at q = 1 and σ_pre) when the run asks
    /// for it, and `cost()` unless the run trains no steps here.
    public func costs() throws(PrivacyError) -> [PrivacyCharge] {
        var charges = [PrivacyCharge]()
        if let sigma = preprocessingNoiseMultiplier, privacy.unit != nil {
            charges.append(try PrivacyCharge(
                id: "\(runID)/preprocessing", label: "run \(planName) preprocessing (projected)", samplingRate: 1,
                noiseMultiplier: sigma, steps: 1))
        }
        switch privacy {
        case .record(_, _, 0), .site(_, _, 0): break
        default: if let charge = try cost() { charges.append(charge) }
        }
        return charges
    }

    /// The ε this run alone would cost the site, at `delta` (its `costs()` composed in RDP):
    /// infinity without differential privacy or when `costs()` throws, 0 for a run of no
    /// steps and no noised preprocessing.
    public func epsilon(delta: Double, accountant: RDPAccountant = RDPAccountant()) -> Double {
        if case .none = privacy { return .infinity }
        guard let charges = try? costs() else { return .infinity }
        var run = PrivacyLedger(unit: .record, accountant: accountant)
        for charge in charges { guard (try? run.charge(charge)) != nil else { return .infinity } }
        return run.epsilon(delta: delta).epsilon
    }

    /// The ε of the site's ledger after this run too, at `delta` (composed in RDP, so less
    /// than the sum of the two ε); infinity when the run's cost cannot be computed.
    public func lifetimeEpsilon(delta: Double) -> Double {
        if case .none = privacy { return .infinity }
        guard let charges = try? costs() else { return .infinity }
        var after = ledger
        for charge in charges { guard (try? after.charge(charge)) != nil else { return .infinity } }
        return after.epsilon(delta: delta).epsilon
    }

    /// The local steps a site runs in `rounds` rounds of `work` over `trainingRecords`
    /// records: `work.steps` per round, or `epochs` × ⌈records / batch⌉ (the batch capped
    /// at the records, as `InMemorySite` trains).
    public static func localSteps(rounds: Int, work: LocalWork, trainingRecords: Int) -> Int {
        guard trainingRecords > 0 else { return 0 }
        let batch = max(1, min(work.batchSize, trainingRecords))
        let perRound = work.steps ?? work.epochs * ((trainingRecords + batch - 1) / batch)
        return rounds * perRound
    }
}
