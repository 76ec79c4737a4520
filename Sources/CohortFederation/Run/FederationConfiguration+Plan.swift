import CohortData
import CohortLearn
import CohortPrivacy
import Foundation

extension FederationConfiguration {
    /// The engine's configuration for `plan`, shared by `cohort simulate` and the orchestrator.
    ///
    /// `siteRows` holds each site's row count (holdout included), in plan order. A simulation
    /// knows them; the orchestrator does not (rows stay at the sites), so it passes `nil` with
    /// the number of sites, and a record-unit plan must then give `noise_multiplier`: σ for a
    /// target ε depends on q = batch / rows at the smallest site.
    public init(plan: Plan, definition: ModelDefinition, schema: Schema, siteRows: [Int]?, siteCount: Int? = nil,
                runID: String) throws {
        let sites = siteRows?.count ?? siteCount ?? 0
        guard sites > 0 else { throw FederationError("no sites") }
        let local: LocalWork
        let batchSize = plan.local.batchSize
        switch plan.local.work {
        case .epochs(let epochs):
            local = LocalWork(epochs: epochs, batchSize: batchSize, optimizer: plan.local.optimizerConfiguration,
                              learningRate: Float(plan.local.learningRate))
        case .steps(let steps):
            local = LocalWork(steps: steps, batchSize: batchSize, optimizer: plan.local.optimizerConfiguration,
                              learningRate: Float(plan.local.learningRate))
        }

        let p = plan.privacy
        if p.noisePreprocessing {
            // The plan refuses it with unit site (PlanError); a hand-built plan may still try.
            guard p.unit == .record else {
                throw FederationError("field 'privacy.noise_preprocessing': applies only to privacy.unit record")
            }
            let unbounded = FeatureAggregates.unboundedFeatures(of: schema)
            if !unbounded.isEmpty {
                throw FederationError(
                    "field 'privacy.noise_preprocessing': every numeric feature needs a public \"range\": [lo, hi] in the "
                        + "schema to bound one record's effect on the released sums; "
                        + (plan.schema == nil ? "the plan names no schema (an inferred one has no ranges); " : "")
                        + "without a range: " + unbounded.map { "\"\($0)\"" }.joined(separator: ", "))
            }
        }
        let noiseSeed: UInt64? = p.noise == .seeded ? plan.seed : nil
        let sampling = SiteSampling(size: Simulation.size(plan.sampling.perRound), minimum: plan.sampling.minimum)
        var privacy = TaskPrivacy()
        var adaptiveState: CohortPrivacy.AdaptiveClipping?
        var pendingTarget: Double?
        switch p.unit {
        case .none:
            privacy = TaskPrivacy(unit: .none, deltaClipNorm: p.deltaClip.map(Float.init))
        case .record:
            let sigma: Double
            if case .noiseMultiplier(let given)? = p.calibration {
                sigma = given
            } else if let siteRows {
                // The worst site has the fewest training rows: the largest q = batch / rows.
                // Stratified rounding can leave a site a row short per class: assume the fewest.
                let classes = max(schema.label.classes.count, 1)
                let trainingRows = siteRows.map { Int(Double($0) * (1 - plan.evaluation.holdout)) - classes }
                let smallest = max(trainingRows.min() ?? 1, 1)
                let q = min(1, Double(batchSize) / Double(smallest))
                // ε grows with q and with the steps, so bound both: q from the fewest rows that
                // site may have, the steps from the most (a row over per class), or a site whose
                // rows cross a multiple of the batch trains one more step per epoch than calibrated
                // for and its budget stops the run early.
                let mostRows = smallest + 2 * classes
                let stepsPerRound: Int
                switch plan.local.work {
                case .epochs(let epochs): stepsPerRound = epochs * ((mostRows + batchSize - 1) / batchSize)
                case .steps(let steps): stepsPerRound = steps
                }
                // With noised preprocessing the target covers its release too: one Gaussian step
                // at σ_pre, which is σ itself unless the plan gives preprocessing_noise_multiplier.
                var release: ((Double) throws(PrivacyError) -> RDPCurve)?
                if p.noisePreprocessing {
                    let fixed = p.preprocessingNoiseMultiplier
                    release = { (sigma: Double) throws(PrivacyError) -> RDPCurve in
                        RDPAccountant().rdp(of: try SubsampledGaussian.gaussian(noiseMultiplier: fixed ?? sigma))
                    }
                }
                sigma = try Simulation.noiseMultiplier(
                    p.calibration, samplingRate: q, steps: stepsPerRound * plan.rounds,
                    delta: p.delta, unit: "per patient record at the smallest site", alsoSpending: release)
            } else if case .targetEpsilon(let target)? = p.calibration {
                // A real federation: rows stay at the sites. σ is set by the engine from the
                // row counts of the sites' preprocessing aggregates, before round 1.
                guard !p.noisePreprocessing else {
                    throw FederationError(
                        "field 'privacy.target_epsilon': with noise_preprocessing, a real federation's record-unit plan "
                            + "gives noise_multiplier (the row counts the engine would calibrate from are noised)")
                }
                pendingTarget = target
                sigma = 0
            } else {
                throw FederationError("field 'privacy': give noise_multiplier or target_epsilon")
            }
            privacy = TaskPrivacy(unit: .record, exampleClipNorm: Float(p.clip), deltaClipNorm: p.deltaClip.map(Float.init),
                                  noiseMultiplier: sigma, noiseSeed: noiseSeed, delta: p.delta, siteBudgetEpsilon: p.budgetEpsilon)
        case .site:
            let sampled = sampling.count(of: sites)
            let sigma = try Simulation.noiseMultiplier(p.calibration, samplingRate: Double(sampled) / Double(sites),
                                                       steps: plan.rounds, delta: p.delta, unit: "per site")
            privacy = TaskPrivacy(unit: .site, deltaClipNorm: Float(p.clip), noiseMultiplier: sigma, noiseSeed: noiseSeed, delta: p.delta)
            if let adaptive = p.adaptiveClipping {
                // σ is the whole round's z; the deltas get z_Δ and the bits σ_b so that the
                // pair spends exactly z (Andrew et al. 2021, Section 3).
                let sigmaB = adaptive.countNoise ?? sigma
                do {
                    privacy.noiseMultiplier = try AdaptiveClipping.deltaNoiseMultiplier(total: sigma, countNoiseStandardDeviation: sigmaB)
                    adaptiveState = try AdaptiveClipping(initialClipNorm: p.clip, targetQuantile: adaptive.targetQuantile,
                                                         learningRate: adaptive.learningRate, countNoiseStandardDeviation: sigmaB)
                } catch {
                    throw FederationError("field 'privacy.adaptive_clipping.count_noise': \(error)")
                }
                privacy.unclippedCountNoise = sigmaB
            }
        }
        self.init(
            runID: runID, definition: definition, schema: schema, rounds: plan.rounds, sampling: sampling,
            local: local, privacy: privacy, runBudgetEpsilon: p.unit == .site ? p.budgetEpsilon : nil,
            evaluateEvery: plan.evaluation.every, minimumEvaluationRecords: plan.evaluation.minimumRecords,
            metrics: plan.evaluation.metrics, seed: plan.seed, deadlineSeconds: plan.sampling.deadlineSeconds)
        roundSchedule = plan.local.schedule == .cosine ? .cosine : .constant
        adaptiveClipping = adaptiveState
        recordTargetEpsilon = pendingTarget
        if p.noisePreprocessing { preprocessingNoiseMultiplier = p.preprocessingNoiseMultiplier ?? privacy.noiseMultiplier }
    }
}
