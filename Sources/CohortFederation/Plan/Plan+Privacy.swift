import CohortPrivacy

extension Plan {
    /// The run's differential-privacy guarantee (`privacy:`); see ARCHITECTURE.md, "Privacy
    /// model".
    ///
    /// ```yaml
    /// privacy:
    ///   unit: record              # none | record | site; default none
    ///   clip: 1.0                 # C: per example (record) or per site delta (site); default 1
    ///   noise_multiplier: 1.1     # σ (noise std σ·C), or instead:
    ///   # target_epsilon: 3       # calibrate σ so the planned run spends this ε
    ///   delta: 1e-5               # δ of every reported ε; default 1e-5
    ///   budget_epsilon: 8         # optional: stop before any ledger would pass this ε
    ///   delta_clip: 5             # optional, record unit: L2 bound on each site's delta
    ///   adaptive_clipping:        # optional, site unit only (Andrew et al. 2021)
    ///     target_quantile: 0.5
    ///     learning_rate: 0.2
    ///     count_noise: 1.1        # σ_b per site; default: the run's σ
    ///   noise: secure             # secure | seeded (seeded only with simulation: true)
    ///   noise_preprocessing: false  # true: noise the preprocessing statistics (record unit)
    ///   preprocessing_noise_multiplier: 3  # optional σ_pre for them; default: the run's σ
    /// ```
    ///
    /// With `unit: none` no other privacy field may be given. With `record` or `site`,
    /// exactly one of `noise_multiplier` and `target_epsilon` is required. The budget is
    /// charged to each site's ledger for the record unit and to the run's ledger for the
    /// site unit. `noise_preprocessing: true` (record unit only) has each site release its
    /// preprocessing aggregates through the Gaussian mechanism with noise multiplier σ_pre
    /// (`FeatureAggregates.noisedRelease`) and charge one Gaussian step (q = 1, σ_pre) to its
    /// ledger; the schema must give every numeric feature a `range`. σ_pre is
    /// `preprocessing_noise_multiplier`, by default the run's σ: one noise level for the
    /// whole run, so a `target_epsilon` calibrates σ with the preprocessing step counted.
    /// Otherwise the run record lists the statistics as released outside ε. The site unit
    /// refuses it: there one whole site is the unit, and a site's aggregates (its row count
    /// first) have no bound on how much one site can change them.
    public struct Privacy: Sendable, Hashable, Codable {
        /// What one guarantee protects.
        public enum Unit: String, Sendable, Hashable, Codable, CaseIterable {
            /// No differential privacy.
            case none
            /// One patient record at one site: DP-SGD in local training, a ledger per site.
            case record
            /// One site's whole contribution: DP-FedAvg, one ledger for the run.
            case site
        }

        /// How the noise is set.
        public enum Calibration: Sendable, Hashable {
            /// σ as given.
            case noiseMultiplier(Double)
            /// The σ whose ε over the planned run, at `delta`, is this ε.
            case targetEpsilon(Double)
        }

        /// Where the noise comes from.
        public enum NoiseSource: String, Sendable, Hashable, Codable, CaseIterable {
            /// A cryptographically secure generator (`GaussianNoise.secure()`).
            case secure
            /// A generator seeded from the plan's seed: reproducible, so no privacy.
            case seeded
        }

        /// Adaptive clipping of site deltas to a target quantile of their norms (Andrew,
        /// Thakkar, McMahan, Ramaswamy, "Differentially Private Learning with Adaptive
        /// Clipping", NeurIPS 2021, Algorithm 1); `clip` is the starting bound.
        public struct AdaptiveClipping: Sendable, Hashable, Codable {
            /// γ ∈ [0, 1], the fraction of deltas to leave unclipped; default 0.5.
            public var targetQuantile: Double
            /// η_C > 0, the geometric step size; default 0.2 (the paper's).
            public var learningRate: Double
            /// σ_b > σ/2: the std of the noise each site adds to its clipping bit; nil for the
            /// run's σ. The round's σ is split between the deltas (z_Δ) and the bits, so a
            /// larger σ_b leaves the deltas less noise but moves the bound more noisily. The
            /// paper's σ_b = m/20 is for a count noised once centrally; here every site noises
            /// its own bit, so the count's noise is σ_b·√m.
            public var countNoise: Double?

            public init(targetQuantile: Double = 0.5, learningRate: Double = 0.2, countNoise: Double? = nil) {
                self.targetQuantile = targetQuantile
                self.learningRate = learningRate
                self.countNoise = countNoise
            }

            enum CodingKeys: String, CodingKey, CaseIterable {
                case targetQuantile = "target_quantile"
                case learningRate = "learning_rate"
                case countNoise = "count_noise"
            }

            public init(from decoder: any Decoder) throws {
                let fields = try PlanFields(decoder, known: CodingKeys.allCases.map(\.rawValue))
                self.init(
                    targetQuantile: try fields.optional("target_quantile") ?? 0.5,
                    learningRate: try fields.optional("learning_rate") ?? 0.2,
                    countNoise: try fields.optional("count_noise"))
            }
        }

        /// Default `.none`.
        public var unit: Unit
        /// C; default 1.
        public var clip: Double
        /// nil exactly when `unit` is `.none`.
        public var calibration: Calibration?
        /// δ; default 1e-5.
        public var delta: Double
        /// The most ε a ledger may spend; nil for no budget.
        public var budgetEpsilon: Double?
        /// Record unit: the L2 bound every site delta is clipped to before it leaves; nil
        /// leaves it to the engine.
        public var deltaClip: Double?
        /// Site unit: adapt `clip` round by round; nil keeps it fixed.
        public var adaptiveClipping: AdaptiveClipping?
        /// Default `.secure`.
        public var noise: NoiseSource
        /// Whether preprocessing statistics are noised and charged; default false.
        public var noisePreprocessing: Bool
        /// σ_pre for the noised preprocessing release; nil: the run's σ.
        public var preprocessingNoiseMultiplier: Double?

        /// Privacy settings; the default is no differential privacy.
        public init(
            unit: Unit = .none, clip: Double = 1, calibration: Calibration? = nil, delta: Double = 1e-5,
            budgetEpsilon: Double? = nil, deltaClip: Double? = nil, adaptiveClipping: AdaptiveClipping? = nil,
            noise: NoiseSource = .secure, noisePreprocessing: Bool = false, preprocessingNoiseMultiplier: Double? = nil
        ) {
            self.unit = unit
            self.clip = clip
            self.calibration = calibration
            self.delta = delta
            self.budgetEpsilon = budgetEpsilon
            self.deltaClip = deltaClip
            self.adaptiveClipping = adaptiveClipping
            self.noise = noise
            self.noisePreprocessing = noisePreprocessing
            self.preprocessingNoiseMultiplier = preprocessingNoiseMultiplier
        }

        /// The unit as CohortPrivacy names it; nil for `.none`.
        public var privacyUnit: PrivacyUnit? {
            switch unit {
            case .none: nil
            case .record: .record
            case .site: .site
            }
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case unit, clip
            case noiseMultiplier = "noise_multiplier"
            case targetEpsilon = "target_epsilon"
            case delta
            case budgetEpsilon = "budget_epsilon"
            case deltaClip = "delta_clip"
            case adaptiveClipping = "adaptive_clipping"
            case noise
            case noisePreprocessing = "noise_preprocessing"
            case preprocessingNoiseMultiplier = "preprocessing_noise_multiplier"
        }

        public init(from decoder: any Decoder) throws {
            let fields = try PlanFields(decoder, known: CodingKeys.allCases.map(\.rawValue))
            let unit = try fields.word("unit", as: Unit.self) ?? .none
            if unit == .none {
                for key in CodingKeys.allCases.map(\.rawValue) where key != "unit" {
                    try fields.rejectIfPresent(key, "applies only when privacy.unit is record or site")
                }
                self.init()
                return
            }
            let multiplier: Double? = try fields.optional("noise_multiplier")
            let target: Double? = try fields.optional("target_epsilon")
            let calibration: Calibration
            switch (multiplier, target) {
            case (let sigma?, nil): calibration = .noiseMultiplier(sigma)
            case (nil, let epsilon?): calibration = .targetEpsilon(epsilon)
            case (nil, nil):
                throw PlanError(
                    .missingField, field: fields.field("noise_multiplier"),
                    "required with privacy.unit \(unit.rawValue): give noise_multiplier (σ) or target_epsilon")
            case (_?, _?):
                throw PlanError(
                    .conflictingFields, field: fields.field("target_epsilon"),
                    "give either noise_multiplier or target_epsilon, not both")
            }
            if unit == .record {
                try fields.rejectIfPresent(
                    "adaptive_clipping", "applies only to privacy.unit site (it adapts the bound on whole-site deltas)")
            } else {
                try fields.rejectIfPresent(
                    "delta_clip", "applies only to privacy.unit record; with unit site, 'clip' bounds each delta")
            }
            let noisePreprocessing: Bool = try fields.optional("noise_preprocessing") ?? false
            if noisePreprocessing && unit == .site {
                throw PlanError(
                    .conflictingFields, field: fields.field("noise_preprocessing"),
                    "applies only to privacy.unit record: with unit site one whole site is protected, and a site's "
                        + "aggregates (its row count, its sums) have no public bound, so no noise can be calibrated to them")
            }
            if !noisePreprocessing {
                try fields.rejectIfPresent("preprocessing_noise_multiplier", "applies only with noise_preprocessing: true")
            }
            self.init(
                unit: unit, clip: try fields.optional("clip") ?? 1, calibration: calibration,
                delta: try fields.optional("delta") ?? 1e-5, budgetEpsilon: try fields.optional("budget_epsilon"),
                deltaClip: try fields.optional("delta_clip"), adaptiveClipping: try fields.optional("adaptive_clipping"),
                noise: try fields.word("noise", as: NoiseSource.self) ?? .secure,
                noisePreprocessing: noisePreprocessing,
                preprocessingNoiseMultiplier: try fields.optional("preprocessing_noise_multiplier"))
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(unit.rawValue, forKey: .unit)
            guard unit != .none else { return }
            try container.encode(clip, forKey: .clip)
            switch calibration {
            case .noiseMultiplier(let sigma)?: try container.encode(sigma, forKey: .noiseMultiplier)
            case .targetEpsilon(let epsilon)?: try container.encode(epsilon, forKey: .targetEpsilon)
            case nil: break
            }
            try container.encode(delta, forKey: .delta)
            try container.encodeIfPresent(budgetEpsilon, forKey: .budgetEpsilon)
            try container.encodeIfPresent(deltaClip, forKey: .deltaClip)
            try container.encodeIfPresent(adaptiveClipping, forKey: .adaptiveClipping)
            try container.encode(noise.rawValue, forKey: .noise)
            try container.encode(noisePreprocessing, forKey: .noisePreprocessing)
            try container.encodeIfPresent(preprocessingNoiseMultiplier, forKey: .preprocessingNoiseMultiplier)
        }
    }
}
