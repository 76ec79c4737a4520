import CohortData
import CohortLearn
import CohortPrivacy
import CohortTensor
import Foundation

/// Runs federated rounds over any transport: shared preprocessing, sampling, fan-out with a
/// deadline, validation of every update, streaming aggregation, the strategy's step,
/// privacy ledgers and federated evaluation.
public struct RoundEngine: Sendable {
    /// The run's configuration; a pending record-unit calibration
    /// (`recordTargetEpsilon`) has its σ here once the run has started.
    public private(set) var configuration: FederationConfiguration
    public private(set) var strategy: any FederatedStrategy
    /// The run's ledger for the site unit (q = sampled / all sites, one step per round).
    public private(set) var runLedger = PrivacyLedger(unit: .site)

    public init(configuration: FederationConfiguration, strategy: any FederatedStrategy) {
        self.configuration = configuration
        self.strategy = strategy
    }

    /// The outcome of a run.
    public struct Result: Sendable {
        public var model: TrainedModel
        public var history: [RoundRecord]
        /// Why the run ended before its last round, if it did (a budget).
        public var stoppedEarly: String?
    }

    /// Runs all rounds against `sites`, or the rounds after a checkpoint's.
    ///
    /// - Parameters:
    ///   - checkpoint: a checkpoint this run saved earlier (the orchestrator restarted): the
    ///     run skips the shared preprocessing (it uses the checkpoint's statistics), restores
    ///     the global model, the strategy's state, the run ledger, the sites' ε and the
    ///     history, and continues at the checkpoint's round + 1 with the seeds it would have
    ///     used, so it ends as an uninterrupted run would.
    ///   - save: awaited after each completed round (after the ledger charge and the
    ///     evaluation, before `progress`) with the checkpoint to resume from; if it throws,
    ///     the run stops with its error.
    ///   - progress: sees each round's record as it ends.
    /// - Throws: `FederationError` for a checkpoint that does not fit the configuration (run
    ///   id, model size, round) or a round that cannot complete; errors of `save`.
    public mutating func run(
        sites: [any SiteConnection], resumingFrom checkpoint: RunCheckpoint? = nil,
        checkpoint save: @Sendable (RunCheckpoint) async throws -> Void = { _ in },
        progress: @Sendable (RoundRecord) -> Void = { _ in }
    ) async throws -> Result {
        var config = configuration
        guard !sites.isEmpty else { throw FederationError("no sites") }
        guard Set(sites.map(\.name)).count == sites.count else { throw FederationError("two sites share a name") }
        guard config.sampling.minimum <= sites.count else {
            throw FederationError("sampling.minimum is \(config.sampling.minimum) but there are only \(sites.count) sites")
        }

        // Shared preprocessing from pooled aggregates, once per run (a resumed run has them in
        // its checkpoint): released outside ε, or noised and charged at every site.
        let statistics: PreprocessingStatistics
        if let checkpoint {
            statistics = checkpoint.preprocessing
            if config.recordTargetEpsilon != nil {
                guard let sigma = checkpoint.noiseMultiplier else {
                    throw FederationError("checkpoint of run \(checkpoint.runID) after round \(checkpoint.round): it has no "
                                          + "noise multiplier, but the run calibrates σ for its target ε")
                }
                config.privacy.noiseMultiplier = sigma
            }
        } else {
            let pooled = try await Self.sharedPreprocessing(
                schema: config.schema, sites: sites, minimum: config.sampling.minimum, deadline: config.deadlineSeconds,
                noise: config.preprocessingNoise)
            statistics = pooled.statistics
            if let target = config.recordTargetEpsilon {
                config.privacy.noiseMultiplier = try Self.calibrateRecordNoise(
                    target: target, trainingRows: pooled.trainingRows, configuration: config)
            }
        }
        configuration = config
        let classes = config.schema.label.classes
        let loss = Loss.forClassification(classCount: classes.count)
        let outputWidth = loss.outputWidth(classCount: classes.count)
        var generator = SeededGenerator(seed: config.seed)
        var network = Network(definition: config.definition, inputWidth: statistics.encodedFeatureCount,
                              outputWidth: outputWidth, using: &generator)
        var global = network.parameters.flattened()
        let parameterCount = global.count

        var history = [RoundRecord]()
        var stoppedEarly: String?
        var siteEpsilons = [String: Double]()
        var clipping = config.adaptiveClipping
        var firstRound = 1
        if let checkpoint {
            try checkpoint.validate(against: config, parameterCount: parameterCount)
            do {
                try strategy.restore(checkpoint.strategy)
            } catch {
                throw FederationError("checkpoint of run \(checkpoint.runID) after round \(checkpoint.round): \(error)")
            }
            global = checkpoint.global
            runLedger = checkpoint.runLedger
            siteEpsilons = checkpoint.siteEpsilons
            history = checkpoint.history
            firstRound = checkpoint.round + 1
            // The clip bound after the checkpoint's round, by the same updates from the same
            // released fractions as the uninterrupted run made: bit for bit the same bound.
            if clipping != nil {
                for record in history {
                    guard let fraction = record.unclippedFraction else {
                        throw FederationError("checkpoint of run \(checkpoint.runID): round \(record.round) has no "
                                              + "unclipped fraction, but the run adapts its clip bound")
                    }
                    clipping?.update(noisedUnclippedFraction: fraction)
                }
            }
        }
        for round in stride(from: firstRound, through: config.rounds, by: 1) {
            let start = BLASDiagnostics.now()
            var sampler = SeededGenerator(seed: config.seed &+ UInt64(round) &* 0x9E37_79B9)
            let sampled = Array(sites.shuffled(using: &sampler).prefix(config.sampling.count(of: sites.count)))
                .sorted { $0.name < $1.name }

            // Site unit: the run ledger must afford this round before anything is sent.
            var roundCharge: PrivacyCharge?
            if config.privacy.unit == .site {
                let charge = try PrivacyCharge(
                    id: "\(config.runID)/round-\(round)", label: "round \(round)",
                    samplingRate: Double(sampled.count) / Double(sites.count),
                    noiseMultiplier: config.privacy.accountedNoiseMultiplier, steps: 1)
                if let budget = config.runBudgetEpsilon,
                   runLedger.epsilon(afterCharging: charge, delta: config.privacy.delta).epsilon > budget {
                    stoppedEarly = String(format: "stopped before round %d: the run's budget ε = %g (δ = %g, per site) would be exceeded",
                                          round, budget, config.privacy.delta)
                    break
                }
                roundCharge = charge
            }

            // Adaptive clipping: this round's bound is the one the last round's fraction set.
            var roundPrivacy = config.privacy
            if let clipping { roundPrivacy.deltaClipNorm = Float(clipping.clipNorm) }
            let task = TrainingTask(
                runID: config.runID, round: round, definition: config.definition, loss: loss,
                inputWidth: network.inputWidth, outputWidth: outputWidth, global: global, preprocessing: statistics,
                local: LocalWork(epochs: config.local.epochs, steps: config.local.steps, batchSize: config.local.batchSize,
                                 optimizer: config.local.optimizer,
                                 learningRate: config.local.learningRate * config.roundSchedule.factor(round: round, of: config.rounds),
                                 proximalMu: Float(strategy.proximalMu) > 0 ? Float(strategy.proximalMu) : config.local.proximalMu),
                privacy: roundPrivacy, seed: config.seed &+ UInt64(round))
            var accumulator = strategy.makeAccumulator(parameterCount: parameterCount)
            var dropped = [String: String]()
            var answered = [String]()
            var losses = [(site: String, loss: Double, records: Int)]()
            var unclippedSignals = [String: Double]()
            var auditHeads = [String: AuditHead]()
            var budgetRefusal: String?
            // Each update joins the running sum as it arrives and is then let go: memory is one
            // model plus the sum, not one model per site (the robust strategies keep every
            // delta by design). The sum is kept in Double, so the arrival order changes it only
            // in its last bits, below Float's precision.
            await Self.fanOut(sampled, deadline: config.deadlineSeconds, { try await $0.train(task) }) { site, result in
                switch result {
                case .failure(let error):
                    dropped[site] = "\(error)"
                    if let siteError = error as? SiteError, siteError.code == .budgetExhausted {
                        budgetRefusal = "\(siteError)"
                    }
                    // A refusal the site logged comes with its audit head: an anchor like an update's.
                    if let head = (error as? SiteError)?.auditHead { auditHeads[site] = head }
                case .success(let update):
                    if let problem = Self.problem(with: update, parameterCount: parameterCount, privacy: roundPrivacy) {
                        dropped[site] = problem
                        return
                    }
                    do {
                        try accumulator.add(update.delta, records: update.records)
                    } catch {
                        dropped[site] = "\(error)"
                        return
                    }
                    answered.append(site)
                    if update.trainingLoss.isFinite { losses.append((site, update.trainingLoss, update.records)) }
                    if let epsilon = update.siteEpsilon { siteEpsilons[site] = epsilon }
                    if let signal = update.unclippedSignal { unclippedSignals[site] = signal }
                    if let head = update.auditHead { auditHeads[site] = head }
                }
            }
            // The pooled loss in site order, so it does not depend on which site answered first.
            var lossSum = 0.0, lossWeight = 0.0
            for entry in losses.sorted(by: { $0.site < $1.site }) {
                lossSum += entry.loss * Double(entry.records)
                lossWeight += Double(entry.records)
            }
            if let budgetRefusal, answered.count < config.sampling.minimum {
                stoppedEarly = "stopped at round \(round): \(budgetRefusal)"
                break
            }
            guard answered.count >= config.sampling.minimum else {
                let reasons = dropped.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")
                throw FederationError("round \(round): \(answered.count) of \(sampled.count) sites answered, "
                                      + "the minimum is \(config.sampling.minimum) (\(reasons))")
            }
            try strategy.apply(accumulator, to: &global)
            if let roundCharge { _ = try runLedger.charge(roundCharge) }

            var record = RoundRecord(
                round: round, sampled: sampled.map(\.name), answered: answered.sorted(), dropped: dropped,
                trainingLoss: lossWeight > 0 ? lossSum / lossWeight : nil, evaluationLoss: nil, accuracy: nil, auroc: nil,
                macroF1: nil, evaluationRecords: nil, perSite: nil, epsilon: [:], seconds: 0,
                bytesSent: 4 * parameterCount * sampled.count, bytesReceived: 4 * parameterCount * answered.count)
            if config.privacy.unit == .site { record.epsilon["run"] = runLedger.epsilon(delta: config.privacy.delta).epsilon }
            for (site, head) in auditHeads { record.recordAuditHead(head, from: site) }
            if var adapted = clipping {
                // b̃ = (Σᵢ (bᵢ − ½ + ξᵢ)) / m + ½ over the answering sites, with m the sites
                // sampled (Andrew et al. 2021, Algorithm 1 and Section 3's centred count; a
                // dropped site counts as ½, i.e. not at all). Summed in site order, so the
                // bound does not depend on who answered first.
                let sum = answered.sorted().reduce(0.0) { $0 + (unclippedSignals[$1] ?? 0) }
                let fraction = sum / Double(sampled.count) + 0.5
                record.clipNorm = adapted.clipNorm
                record.unclippedFraction = fraction
                adapted.update(noisedUnclippedFraction: fraction)
                clipping = adapted
            }
            if config.privacy.unit == .record { record.epsilon = siteEpsilons }
            if round % max(config.evaluateEvery, 1) == 0 || round == config.rounds {
                var evaluationTask = task
                evaluationTask.global = global
                try await evaluate(evaluationTask, sites: sites, into: &record)
            }
            record.checkAuditAnchors(against: history)
            record.seconds = BLASDiagnostics.now() - start
            history.append(record)
            var saved = RunCheckpoint(
                runID: config.runID, round: round, global: global, preprocessing: statistics, strategy: strategy.state,
                runLedger: runLedger, siteEpsilons: siteEpsilons, history: history)
            if config.recordTargetEpsilon != nil { saved.noiseMultiplier = config.privacy.noiseMultiplier }
            try await save(saved)
            progress(record)
        }
        network.parameters = NamedTensors(flat: global, like: network.parameters)
        let model = TrainedModel(
            network: network,
            task: .init(loss: loss, classes: classes, inputWidth: network.inputWidth, outputWidth: outputWidth,
                        featureNames: statistics.encodedFeatureNames),
            schema: config.schema, preprocessing: statistics,
            provenance: .init(createdBy: "cohort federation \(config.runID)", trainingData: sites.map(\.name).joined(separator: ", "),
                              epochs: history.count, privacy: privacyStatement(siteEpsilons: siteEpsilons, history: history),
                              notes: ["strategy": strategy.name, "rounds": "\(history.count)"]))
        return Result(model: model, history: history, stoppedEarly: stoppedEarly)
    }

    /// Runs all rounds from the first; `progress` sees each round's record as it ends.
    ///
    /// The same as `run(sites:resumingFrom:checkpoint:progress:)` without a checkpoint; it
    /// keeps `run(sites:) { record in … }` meaning progress, where a trailing closure would
    /// otherwise bind to `checkpoint`.
    public mutating func run(sites: [any SiteConnection], progress: @Sendable (RoundRecord) -> Void) async throws -> Result {
        try await run(sites: sites, resumingFrom: nil, checkpoint: { _ in }, progress: progress)
    }

    /// One line saying what ε covers for this run.
    func privacyStatement(siteEpsilons: [String: Double], history: [RoundRecord]) -> String? {
        let privacy = configuration.privacy
        switch privacy.unit {
        case .none:
            return nil
        case .site:
            let epsilon = runLedger.epsilon(delta: privacy.delta).epsilon
            let direct = Self.siteEpsilonWithoutSampling(history: history, privacy: privacy).map {
                String(format: "; against the orchestrator, which knows whom it sampled: ε ≤ %.3f per site (q = 1)", $0)
            } ?? ""
            if let clipping = configuration.adaptiveClipping, let sigmaB = privacy.unclippedCountNoise {
                return String(format: "ε = %.3f, δ = %g, per site (DP-FedAvg with adaptive clipping from %g to the %g quantile: "
                                  + "deltas noised with z = %g, clipping bits with σ_b = %g; together z = %g)",
                              epsilon, privacy.delta, clipping.clipNorm, clipping.targetQuantile, privacy.noiseMultiplier,
                              sigmaB, privacy.accountedNoiseMultiplier) + direct
            }
            return String(format: "ε = %.3f, δ = %g, per site (DP-FedAvg: deltas clipped to %g, noise σ = %g)",
                          epsilon, privacy.delta, Double(privacy.deltaClipNorm ?? 0), privacy.noiseMultiplier) + direct
        case .record:
            let worst = siteEpsilons.values.max() ?? 0
            let preprocessing = configuration.preprocessingNoiseMultiplier.map {
                String(format: " and the noised preprocessing statistics (Gaussian, σ_pre = %g)", $0)
            } ?? ""
            return String(format: "ε ≤ %.3f, δ = %g, per patient record at each site (DP-SGD, σ = %g, C = %g%@); per site: %@",
                          worst, privacy.delta, privacy.noiseMultiplier, Double(privacy.exampleClipNorm), preprocessing,
                          siteEpsilons.sorted { $0.key < $1.key }.map { String(format: "%@ %.3f", $0.key, $0.value) }.joined(separator: ", "))
        }
    }

    /// Site unit: an upper bound on the ε any one site spent against an observer who knows
    /// which sites were sampled (the orchestrator): one plain Gaussian step (q = 1) at the
    /// accounted σ per round the site was sampled in, composed by the RDP accountant. A site
    /// of a real federation charges its own ledger so for each round it trains, which it can
    /// do only when sampled; counting the sampled rounds covers a site whose update came
    /// after the deadline or was rejected, which still left the site. Nil with no rounds.
    static func siteEpsilonWithoutSampling(history: [RoundRecord], privacy: TaskPrivacy) -> Double? {
        var sampled = [String: Int]()
        for record in history { for site in record.sampled { sampled[site, default: 0] += 1 } }
        guard let rounds = sampled.values.max(), rounds > 0,
              let gaussian = try? SubsampledGaussian.gaussian(noiseMultiplier: privacy.accountedNoiseMultiplier)
        else { return nil }
        return RDPAccountant().epsilon(of: gaussian, steps: rounds, delta: privacy.delta).epsilon
    }

    /// Why an update cannot be used, or nil: wrong size, non-finite values, or a norm
    /// beyond what the task's clipping (plus, for the site unit, its noise) allows.
    public static func problem(with update: SiteUpdate, parameterCount: Int, privacy: TaskPrivacy) -> String? {
        guard update.delta.count == parameterCount else {
            return "update has \(update.delta.count) values, the model has \(parameterCount)"
        }
        guard update.delta.allSatisfy(\.isFinite) else { return "update holds NaN or infinite values" }
        guard update.records >= 0 else { return "update claims \(update.records) records" }
        if let sigmaB = privacy.unclippedCountNoise {
            // bᵢ − ½ is ±½; noise of std σ_b passes 10σ_b with probability below 10⁻²².
            guard let signal = update.unclippedSignal else { return "update lacks the clipping bit adaptive clipping asks for" }
            guard signal.isFinite, abs(signal) <= 0.5 + 10 * sigmaB else {
                return String(format: "update's clipping bit %.4g is not ±½ plus noise of std %.4g", signal, sigmaB)
            }
        }
        if let bound = privacy.deltaClipNorm {
            let norm = l2Norm(update.delta)
            // Noise of std σC per coordinate adds about σC·√d to the norm; allow 6σ of slack
            // on top of that (its standard deviation is about σC/√2).
            let allowance = privacy.unit == .site
                ? Double(bound) * privacy.noiseMultiplier * (Double(parameterCount).squareRoot() + 6) : 0
            if norm > Double(bound) * (1 + 1e-4) + allowance {
                return String(format: "update norm %.4g exceeds the clip bound %.4g", norm, Double(bound) + allowance)
            }
        }
        return nil
    }

    /// Runs `work` on every site concurrently; a site still busy `deadline` seconds in is
    /// reported as having missed it.
    ///
    /// The outcomes come in the order of the sites' names, not of their answers: callers sum
    /// them in floating point, where the order changes the last bits, and a run must be
    /// reproducible bit for bit (a resumed run equals an uninterrupted one).
    static func fanOut<T: Sendable>(
        _ sites: [any SiteConnection], deadline: Double?, _ work: @escaping @Sendable (any SiteConnection) async throws -> T
    ) async -> [(site: String, result: Swift.Result<T, any Error>)] {
        var results = [(site: String, result: Swift.Result<T, any Error>)]()
        await fanOut(sites, deadline: deadline, work) { results.append(($0, $1)) }
        return results.sorted { $0.site < $1.site }
    }

    /// As `fanOut(_:deadline:_:)`, handing each outcome to `handle` as it arrives (then the
    /// sites that missed the deadline), so a caller need not hold them all.
    static func fanOut<T: Sendable>(
        _ sites: [any SiteConnection], deadline: Double?, _ work: @escaping @Sendable (any SiteConnection) async throws -> T,
        asTheyArrive handle: (String, Swift.Result<T, any Error>) -> Void
    ) async {
        await withTaskGroup(of: (String, Swift.Result<T, any Error>)?.self) { group in
            for site in sites {
                group.addTask {
                    do { return (site.name, .success(try await work(site))) } catch { return (site.name, .failure(error)) }
                }
            }
            if let deadline {
                group.addTask {
                    try? await Task.sleep(nanoseconds: UInt64(deadline * 1e9))
                    return nil
                }
            }
            var finished = Set<String>()
            while let next = await group.next() {
                guard let (name, result) = next else {
                    group.cancelAll()
                    break
                }
                finished.insert(name)
                handle(name, result)
                if finished.count == sites.count { group.cancelAll(); break }
            }
            for site in sites where !finished.contains(site.name) {
                handle(site.name, .failure(FederationError(String(format: "missed the round's deadline of %g s", deadline ?? 0))))
            }
        }
    }

    /// Pools the sites' holdout evaluations into the round record: loss, accuracy, AUROC
    /// (binary) and macro-F1 (multi-class) in their own fields, and every metric the
    /// configuration asks for in `metrics` or, without a value, in `undefinedMetrics`.
    func evaluate(_ task: TrainingTask, sites: [any SiteConnection], into record: inout RoundRecord) async throws {
        var pooled = PooledEvaluation(classCount: task.outputWidth == 1 ? 2 : task.outputWidth)
        var perSite = [String: RoundRecord.SiteMetrics]()
        for outcome in await Self.fanOut(sites, deadline: configuration.deadlineSeconds, { try await $0.evaluate(task) }) {
            let evaluation: SiteEvaluation
            switch outcome.result {
            case .success(let answered):
                evaluation = answered
            case .failure(let error):
                // A refusal the site logged still anchors its log.
                record.recordAuditHead((error as? SiteError)?.auditHead, from: outcome.site)
                continue
            }
            record.recordAuditHead(evaluation.auditHead, from: outcome.site)
            pooled.add(evaluation)
            if evaluation.records >= configuration.minimumEvaluationRecords {
                // The same metrics as the pooled ones, from this site's summaries alone.
                var alone = PooledEvaluation(classCount: pooled.classCount)
                alone.add(evaluation)
                var metrics = [String: Double]()
                for metric in configuration.metrics {
                    if case .success(let value) = alone.value(of: metric) { metrics[metric.rawValue] = value }
                }
                perSite[outcome.site] = .init(
                    records: evaluation.records, accuracy: Double(evaluation.correct) / Double(max(evaluation.records, 1)),
                    auroc: evaluation.histogram?.auroc().doubleValue, metrics: metrics)
            }
        }
        pooled.record(configuration.metrics, into: &record)
        guard pooled.records > 0 else { return }
        record.evaluationRecords = pooled.records
        record.evaluationLoss = pooled.lossSum / Double(pooled.records)
        record.accuracy = Double(pooled.correct) / Double(pooled.records)
        record.auroc = pooled.histogram?.auroc().doubleValue
        record.macroF1 = pooled.confusion?.macroF1.doubleValue
        record.perSite = perSite
    }

    /// Merged per-site aggregates → one set of statistics every site applies.
    ///
    /// With `noise` every site sends a noised release, charged to its ledger, and the merged
    /// releases are cleaned up with the schema's ranges
    /// (`PreprocessingStatistics(schema:noisedAggregates:)`, post-processing).
    ///
    /// A site that refuses or fails here is left out of the statistics, and the run goes on
    /// when at least `minimum` sites answered (the site stays in the population that rounds
    /// sample from, so the site unit's q = sampled / sites is unchanged; it will be dropped
    /// from each round it refuses). Fewer than `minimum` answers stop the run with every reason.
    /// A refusal's audit head is not kept here: no round record exists yet, and the
    /// orchestrator keeps it with the refusal itself (`RunRefusal`).
    static func sharedPreprocessing(
        schema: Schema, sites: [any SiteConnection], minimum: Int = 1, deadline: Double? = nil,
        noise: PreprocessingNoise? = nil
    ) async throws -> (statistics: PreprocessingStatistics, trainingRows: [String: Int]) {
        var merged = FeatureAggregates(schema: schema)
        var trainingRows = [String: Int]()
        var answered = 0
        var failures = [String]()
        for outcome in await fanOut(sites, deadline: deadline, { try await $0.aggregates(schema: schema, noise: noise) }) {
            switch outcome.result {
            case .success(let aggregates):
                try merged.merge(aggregates)
                trainingRows[outcome.site] = aggregates.rowCount
                answered += 1
            case .failure(let error):
                failures.append("site \(outcome.site) failed: \(error)")
            }
        }
        guard answered >= max(minimum, 1) else {
            throw FederationError("preprocessing: \(answered) of \(sites.count) sites answered, the minimum is \(minimum) ("
                                  + failures.joined(separator: "; ") + ")")
        }
        if noise != nil { return (try PreprocessingStatistics(schema: schema, noisedAggregates: merged), trainingRows) }
        return (try PreprocessingStatistics(schema: schema, aggregates: merged), trainingRows)
    }

    /// Record unit with a target ε and no σ (a real federation): the smallest σ with which
    /// every site's planned run, DP-SGD with Poisson rate q = batch / rows over its local
    /// steps per round × rounds, spends at most `target` at the run's δ (RDP accountant,
    /// Mironov, Talwar, Zhang 2019). Each site's own σ is calibrated from the training rows
    /// its aggregates counted, and the largest is taken: ε falls as σ grows, so it covers them
    /// all. The counts are the sites' exact training rows, which each update reports anyway
    /// (records per site, released outside ε).
    static func calibrateRecordNoise(target: Double, trainingRows: [String: Int],
                                     configuration: FederationConfiguration) throws -> Double {
        guard !trainingRows.isEmpty else { throw FederationError("no site reported its training rows") }
        var sigma = 0.0
        for (site, rows) in trainingRows.sorted(by: { $0.key < $1.key }) {
            guard rows > 0 else { throw FederationError("site \(site) has no training rows") }
            do {
                sigma = max(sigma, try recordNoiseMultiplier(
                    target: target, delta: configuration.privacy.delta, trainingRows: rows, local: configuration.local,
                    rounds: configuration.rounds))
            } catch let error as FederationError {
                throw FederationError("site \(site): \(error.message)")
            }
        }
        return sigma
    }

    /// The σ with which one site's planned run, DP-SGD with Poisson rate q = batch / rows over
    /// its local steps per round × `rounds` (as `InMemorySite.train` charges them), spends
    /// `target` at `delta`.
    ///
    /// - Throws: `FederationError` when the rows make too many steps to count (the counts may
    ///   come from a site); the accountant's errors when no σ reaches the target.
    static func recordNoiseMultiplier(target: Double, delta: Double, trainingRows rows: Int, local: LocalWork,
                                      rounds: Int) throws -> Double {
        let batch = min(local.batchSize, rows)
        let (batches, overflowA) = (rows / batch).addingReportingOverflow(rows % batch == 0 ? 0 : 1)
        let (perRound, overflowB) = local.steps.map { ($0, false) } ?? local.epochs.multipliedReportingOverflow(by: batches)
        let (steps, overflowC) = perRound.multipliedReportingOverflow(by: rounds)
        guard !overflowA, !overflowB, !overflowC else {
            throw FederationError("\(rows) training rows make too many steps to account for")
        }
        let budget = try PrivacyBudget(epsilon: target, delta: delta)
        return try RDPAccountant().calibrate(
            samplingRate: Double(batch) / Double(rows), steps: max(steps, 1), budget: budget).noiseMultiplier
    }
}
