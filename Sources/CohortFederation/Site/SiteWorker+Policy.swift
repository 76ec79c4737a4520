import CohortData
import CohortPrivacy
import Foundation

/// The site's policy check of a run, for each task: the plan, the data's fit to its schema,
/// and the run's projected ε against the site's ledger and limits.
extension SiteWorker {
    /// Checks the run against the policy for a task of `round` (0: preprocessing); refuses
    /// with every reason, logged (`refuse(_:round:taskID:reasons:)`), or returns the run's site.
    func admit(_ context: RunContext, taskID: String, round: Int) async throws -> InMemorySite {
        try await admitRun(context, taskID: taskID, round: round).site
    }

    /// As `admit`, also returning how the plan asks for the preprocessing release: nil for
    /// exact aggregates, or the noise (σ_pre) read from the plan itself.
    func admitRun(_ context: RunContext, taskID: String, round: Int) async throws
        -> (site: InMemorySite, preprocessingNoise: PreprocessingNoise?) {
        var reasons = [String]()
        var preprocessingNoise: PreprocessingNoise?
        var planName = context.runID, model = context.definition.name, strategy = "?"
        var targetEpsilon: Double?
        do {
            let plan = try Plan.parse(yaml: context.planYAML, source: "the run's plan")
            planName = plan.name
            if case .targetEpsilon(let target)? = plan.privacy.calibration { targetEpsilon = target }
            model = plan.model.description
            strategy = plan.strategy.kind.rawValue
            if plan.privacy.noisePreprocessing {
                if context.privacy.unit == .record {
                    preprocessingNoise = PreprocessingNoise(
                        runID: context.runID, noiseMultiplier: plan.privacy.preprocessingNoiseMultiplier ?? context.privacy.noiseMultiplier,
                        noiseSeed: context.privacy.noiseSeed, delta: context.privacy.delta,
                        siteBudgetEpsilon: context.privacy.siteBudgetEpsilon)
                } else {
                    reasons.append("the plan asks for noised preprocessing statistics, which only the record unit supports")
                }
            }
            if plan.hash != context.planHash.lowercased() {
                reasons.append("the plan's hash is \(plan.hash.prefix(12))…, not the \(context.planHash.prefix(12))… the task claims")
            }
            // The projection below counts the task's rounds: they must be the plan's, and a
            // task may not come from past them.
            if plan.rounds != context.rounds || round > context.rounds {
                reasons.append("the task says round \(round) of \(context.rounds), the plan has \(plan.rounds) rounds")
            }
        } catch {
            reasons.append("the run's plan does not parse: \(error)")
        }
        let site = runSite(context.runID)
        var records = 0
        do {
            try await site.prepare(schema: try checkedSchema(context.schema))
            records = try await site.trainingRecordCount(schema: context.schema)
        } catch {
            reasons.append("this site's data does not fit the plan's schema: \(error)")
        }
        if reasons.isEmpty {
            var targetReasons = [String]()
            let privacy: TaskRequest.Privacy
            switch context.privacy.unit {
            case .none:
                privacy = .none
            case .record:
                // The whole run, projected: checked against the ledger without this run, so
                // the rounds already paid are not counted twice.
                let steps = TaskRequest.localSteps(rounds: context.rounds, work: context.local, trainingRecords: records)
                var sigma = context.privacy.noiseMultiplier
                if sigma == 0, round == 0, let targetEpsilon, records > 0 {
                    // A target-ε plan before its σ is known: the orchestrator calibrates σ from
                    // every site's rows after this preprocessing, as the largest σ any site
                    // needs, so at least this site's own need: the run projected at that σ
                    // spends at least what it will (and a minimum-σ rule is checked against a
                    // σ no larger than the final one). Each training task carries the final σ
                    // and is checked again.
                    do {
                        sigma = try RoundEngine.recordNoiseMultiplier(
                            target: targetEpsilon, delta: context.privacy.delta, trainingRows: records, local: context.local,
                            rounds: context.rounds)
                    } catch {
                        targetReasons.append("this site's \(records) training rows cannot meet the plan's target_epsilon "
                                             + "\(targetEpsilon): \(error)")
                    }
                }
                privacy = .record(noiseMultiplier: sigma, batchSize: context.local.batchSize, steps: steps)
                if sigma > 0, let targetEpsilon, records > 0 {
                    // The plan promises its target to every site: a σ calibrated without this
                    // site's rows (it missed the preprocessing) must not spend more here.
                    let mechanism = try? SubsampledGaussian(
                        samplingRate: Double(min(context.local.batchSize, records)) / Double(records), noiseMultiplier: sigma)
                    let projected = mechanism.map {
                        RDPAccountant().epsilon(of: $0, steps: max(steps, 1), delta: context.privacy.delta).epsilon
                    } ?? .infinity
                    if projected > targetEpsilon * (1 + 1e-6) {
                        targetReasons.append(String(format: "σ = %g would spend ε = %.3f over the run on this site's %d training rows, "
                                                  + "above the plan's target_epsilon %g", sigma, projected, records, targetEpsilon))
                    }
                }
            case .site:
                // Projected as it is charged: q = 1 for every round (see `train`).
                privacy = .site(noiseMultiplier: context.privacy.accountedNoiseMultiplier, samplingRate: 1, rounds: context.rounds)
            }
            let request = TaskRequest(
                runID: context.runID, planHash: context.planHash, planName: planName, model: model, strategy: strategy,
                privacy: privacy, trainingRecords: records, ledger: try ledger(excludingRun: context.runID),
                seededNoise: context.privacy.noiseSeed != nil,
                preprocessingNoiseMultiplier: preprocessingNoise?.noiseMultiplier)
            reasons = policy.check(request).reasons + targetReasons
        }
        guard reasons.isEmpty else { try await refuse(context.runID, round: round, taskID: taskID, reasons: reasons) }
        _ = try await audit.append(.taskAccepted, details: [
            "task": .string(taskID), "run": .string(context.runID), "round": .integer(round),
        ])
        return (site, preprocessingNoise)
    }

    /// The plan's schema, refused when the site declares its own and the two differ.
    func checkedSchema(_ schema: Schema) throws -> Schema {
        if let siteSchema, siteSchema != schema {
            throw SiteError(.refused, site: name, "the plan's schema differs from this site's (\(policy.dataset.schema?.path ?? ""))")
        }
        return schema
    }

    func runSite(_ runID: String) -> InMemorySite {
        lastTask[runID] = clock()
        if let site = runSites[runID] { return site }
        var runLedger = PrivacyLedger(unit: .record, site: name)
        for charge in ledger.charges where charge.id.hasPrefix(runID + "/") { _ = try? runLedger.charge(charge) }
        let site = InMemorySite(name: name, table: table, holdoutFraction: policy.dataset.holdout,
                                seed: policy.dataset.splitSeed, ledger: runLedger)
        runSites[runID] = site
        return site
    }

    /// The lifetime ledger without `runID`'s charges.
    private func ledger(excludingRun runID: String) throws -> PrivacyLedger {
        var other = PrivacyLedger(unit: .record, site: name)
        for charge in ledger.charges where !charge.id.hasPrefix(runID + "/") { try other.charge(charge) }
        return other
    }
}
