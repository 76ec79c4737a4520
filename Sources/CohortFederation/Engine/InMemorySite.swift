import CohortData
import CohortLearn
import CohortPrivacy
import CohortTensor
import Foundation

/// A site of a simulated federation: its CSV rows stay inside this actor, as they stay
/// inside a hospital. It splits off a stratified holdout for evaluation, trains locally
/// from the global model, and clips (and, for the site unit, noises) its delta before
/// returning it. For the record unit it runs DP-SGD and keeps its own privacy ledger.
public actor InMemorySite: SiteConnection {
    public nonisolated let name: String
    private let table: CSVTable
    private let holdoutFraction: Double
    private let seed: UInt64
    private var parts: (schema: Schema, train: ValidatedTable, holdout: ValidatedTable)?
    private var encoded: (statistics: PreprocessingStatistics, train: DesignMatrix, holdout: DesignMatrix)?
    /// The site's ledger for the record unit: every local step it ever ran for a run.
    public private(set) var ledger: PrivacyLedger
    private var noise: GaussianNoise?
    /// The last update the site sent and the task it answered: the same task asked again
    /// (the orchestrator restarted mid-round and replays the round) gets the same update, so
    /// the site releases nothing new and its ledger holds the round's charge once.
    private var sent: (task: SentTask, update: SiteUpdate)?
    /// The noised preprocessing release made for a run: asked again (the orchestrator
    /// restarted before its first checkpoint), the site sends the same release, as for `sent`.
    private var released: (runID: String, schema: Schema, aggregates: FeatureAggregates)?

    /// What makes two training tasks the same release: the run, the round, the seed and
    /// the global model trained from.
    ///
    /// The model is kept as a 64-bit FNV-1a fingerprint of its bits, not a copy: a site
    /// holding the previous round's model through the next round's training cost 4 MB per
    /// million parameters. Two models colliding would send again the update already sent,
    /// which releases nothing new.
    private struct SentTask: Equatable {
        var runID: String
        var round: Int
        var seed: UInt64
        var parameterCount: Int
        var globalFingerprint: UInt64

        init(runID: String, round: Int, seed: UInt64, global: [Float]) {
            self.runID = runID
            self.round = round
            self.seed = seed
            parameterCount = global.count
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for value in global {
                hash ^= UInt64(value.bitPattern)
                hash = hash &* 0x100_0000_01b3
            }
            globalFingerprint = hash
        }
    }

    /// A site holding `table`; `holdoutFraction` of its rows (stratified, split with `seed`)
    /// are kept for evaluation. `ledger` holds what the run has already charged here (a site
    /// worker restarted mid-run passes its record of the run's earlier rounds).
    public init(name: String, table: CSVTable, holdoutFraction: Double = 0.2, seed: UInt64 = 0, ledger: PrivacyLedger? = nil) {
        self.name = name
        self.table = table
        self.holdoutFraction = holdoutFraction
        self.seed = seed
        self.ledger = ledger ?? PrivacyLedger(unit: .record, site: name)
    }

    /// Validates and splits the rows under `schema` (done once per schema).
    public func prepare(schema: Schema) throws {
        _ = try split(schema: schema)
    }

    /// The site's training rows under `schema` (its rows less the holdout).
    public func trainingRecordCount(schema: Schema) throws -> Int {
        try split(schema: schema).train.rowCount
    }

    /// The site's held-out rows under `schema`.
    public func holdoutRecordCount(schema: Schema) throws -> Int {
        try split(schema: schema).holdout.rowCount
    }

    /// The training and holdout rows under `schema` (validated and split once).
    private func split(schema: Schema) throws -> (train: ValidatedTable, holdout: ValidatedTable) {
        if let parts, parts.schema == schema { return (parts.train, parts.holdout) }
        let validated = try schema.validate(table)
        var generator = SeededGenerator(seed: seed)
        let pieces = try validated.split(SplitFractions(train: 1 - holdoutFraction, validation: 0, test: holdoutFraction),
                                         using: &generator)
        parts = (schema, pieces.train, pieces.test)
        encoded = nil
        return (pieces.train, pieces.test)
    }

    private func encodedData(_ statistics: PreprocessingStatistics) throws -> (train: DesignMatrix, holdout: DesignMatrix) {
        if let encoded, encoded.statistics == statistics { return (encoded.train, encoded.holdout) }
        guard let parts else { throw SiteError(.data, site: name, "asked to train before the preprocessing round") }
        let train = try statistics.apply(to: parts.train)
        let holdout = try statistics.apply(to: parts.holdout)
        encoded = (statistics, train, holdout)
        return (train, holdout)
    }

    public func aggregates(schema: Schema, noise: PreprocessingNoise?) async throws -> FeatureAggregates {
        try aggregates(schema: schema, noise: noise, chargeID: nil)
    }

    /// As `aggregates(schema:noise:)`; a noised release is charged under `chargeID` (default
    /// "RUN/preprocessing") after the budget check and before it is returned. A site that
    /// must release again after losing its first release (it restarted) charges the repeat
    /// under a new id.
    public func aggregates(schema: Schema, noise: PreprocessingNoise?, chargeID: String?) throws -> FeatureAggregates {
        let train = try split(schema: schema).train
        guard let noise else { return FeatureAggregates(train) }
        if let released, released.runID == noise.runID, released.schema == schema { return released.aggregates }
        let charge = try noise.charge(id: chargeID)
        if ledger.contains(chargeID: charge.id) {
            throw SiteError(.refused, site: name,
                            "the preprocessing statistics of run \(noise.runID) were already released (charge \(charge.id) is in "
                                + "the site's ledger); a second release would not be accounted")
        }
        if let budget = noise.siteBudgetEpsilon {
            let after = ledger.epsilon(afterCharging: charge, delta: noise.delta).epsilon
            if after > budget {
                throw SiteError(.budgetExhausted, site: name,
                                String(format: "the noised preprocessing release would bring its ε to %.3f, over its budget %.3f (δ = %g)",
                                       after, budget, noise.delta))
            }
        }
        let aggregates: FeatureAggregates
        do {
            aggregates = try FeatureAggregates.noisedRelease(
                of: train, noiseMultiplier: noise.noiseMultiplier, noise: try noiseSource(seed: noise.noiseSeed, round: 0))
        } catch let error as DataError {
            throw SiteError(.data, site: name, "\(error)")
        }
        _ = try ledger.charge(charge)
        released = (noise.runID, schema, aggregates)
        return aggregates
    }

    /// The network of `task` holding the task's global weights.
    private static func network(for task: TrainingTask) -> Network {
        guard let network = Network(definition: task.definition, inputWidth: task.inputWidth, outputWidth: task.outputWidth,
                                    flatParameters: task.global)
        else { preconditionFailure("the task's global model has \(task.global.count) values, not the model's parameter count") }
        return network
    }

    public func train(_ task: TrainingTask) async throws -> SiteUpdate {
        try train(task, chargeID: nil)
    }

    /// Trains as `train(_:)`; a record-unit round is charged under `chargeID` (default
    /// "RUN/round-N"). A site that must train a round again after losing the update it sent
    /// charges the repeat under a new id: the second release costs privacy too.
    public func train(_ task: TrainingTask, chargeID: String?) throws -> SiteUpdate {
        let sentTask = SentTask(runID: task.runID, round: task.round, seed: task.seed, global: task.global)
        if let sent, sent.task == sentTask { return sent.update }
        sent = nil  // only the latest task is answered again: the older update need not stay resident
        let data = try encodedData(task.preprocessing).train
        guard data.rowCount > 0 else { throw SiteError(.data, site: name, "no training rows") }
        var network = Self.network(for: task)
        let global = network.parameters
        let batchSize = min(task.local.batchSize, data.rowCount)
        let privacy = task.privacy
        let stepsPerEpoch = (data.rowCount + batchSize - 1) / batchSize
        var dpOptions: DPSGDOptions?
        var charge: PrivacyCharge?
        if privacy.unit == .record {
            dpOptions = DPSGDOptions(clipNorm: privacy.exampleClipNorm, noiseMultiplier: privacy.noiseMultiplier)
            let steps = task.local.steps ?? stepsPerEpoch * task.local.epochs
            charge = try PrivacyCharge(
                id: chargeID ?? "\(task.runID)/round-\(task.round)", label: "round \(task.round)",
                samplingRate: Double(batchSize) / Double(data.rowCount), noiseMultiplier: privacy.noiseMultiplier, steps: steps)
            if let charge, ledger.contains(chargeID: charge.id) {
                // The round was trained before from another global model: a second update
                // would be a release that the charge already recorded does not cover.
                throw SiteError(.refused, site: name,
                                "round \(task.round) of run \(task.runID) was already trained from another global model "
                                    + "(its charge \(charge.id) is in the site's ledger); a second update would not be accounted")
            }
            if let budget = privacy.siteBudgetEpsilon, let charge {
                let after = ledger.epsilon(afterCharging: charge, delta: privacy.delta).epsilon
                if after > budget {
                    throw SiteError(.budgetExhausted, site: name,
                                    String(format: "round %d would bring its ε to %.3f, over its budget %.3f (δ = %g)",
                                           task.round, after, budget, privacy.delta))
                }
            }
        }
        // Work given in steps: enough epochs to hold them (the step limit stops training).
        let epochs = task.local.steps.map { max(1, ($0 + stepsPerEpoch - 1) / stepsPerEpoch) } ?? task.local.epochs
        let options = TrainingOptions(
            epochs: epochs, batchSize: batchSize,
            learningRate: task.local.learningRate, optimizer: task.local.optimizer,
            seed: task.seed ^ stableHash(name), privacy: dpOptions, blasThreads: .unchanged,
            proximal: task.local.proximalMu > 0 ? ProximalTerm(anchor: global, mu: task.local.proximalMu) : nil,
            maximumSteps: task.local.steps)
        // One stream for the round's noise (DP-SGD's, or the delta's and the clipping bit's).
        let roundNoise = privacy.unit == .none ? nil : try noiseSource(seed: privacy.noiseSeed, round: task.round)
        let result: TrainingResult
        do {
            result = try Trainer(options: options).train(
                &network, loss: task.loss, training: LabeledData(features: data.features, labels: data.labels),
                noise: privacy.unit == .record ? roundNoise : nil)
        } catch {
            throw SiteError(.failed, site: name, "local training failed: \(error)")
        }
        var delta = network.parameters.flattened()
        let start = task.global
        for i in delta.indices { delta[i] -= start[i] }
        var clipFactor: Float = 1
        if let bound = privacy.deltaClipNorm { clipFactor = clip(&delta, toNorm: bound) }
        if privacy.unit == .site, let bound = privacy.deltaClipNorm, privacy.noiseMultiplier > 0 {
            var tensor = Tensor<Float>(delta)
            roundNoise?.addNoise(to: &tensor, standardDeviation: privacy.noiseMultiplier * Double(bound))
            delta = tensor.scalars
        }
        // Adaptive clipping (Andrew et al. 2021, Algorithm 1 with Section 3's centred count):
        // the bit bᵢ = 1[‖Δᵢ‖ ≤ C] leaves only as bᵢ − ½ + N(0, σ_b²), noised here.
        var unclippedSignal: Double?
        if privacy.unit == .site, let sigmaB = privacy.unclippedCountNoise {
            let bit = clipFactor == 1 ? 0.5 : -0.5
            unclippedSignal = bit + sigmaB * (roundNoise?.standardNormals(count: 1)[0] ?? .nan)
        }
        var siteEpsilon: Double?
        if let charge {
            _ = try ledger.charge(charge)
            siteEpsilon = ledger.epsilon(delta: privacy.delta).epsilon
        }
        let lossSum = result.history.reduce(0.0) { $0 + $1.trainingLoss * Double($1.examples) }
        let examples = result.history.reduce(0) { $0 + $1.examples }
        let update = SiteUpdate(delta: delta, records: data.rowCount, steps: result.steps,
                                trainingLoss: examples > 0 ? lossSum / Double(examples) : .nan, siteEpsilon: siteEpsilon,
                                unclippedSignal: unclippedSignal)
        sent = (sentTask, update)
        return update
    }

    /// The noise for round `round` (0: the preprocessing release). Secure: the site's one
    /// stream, created once. Seeded (test federations and simulations): a stream of its own
    /// per round, seeded with `seed` mixed with the site's name and the round, so a site that
    /// restarted (or let an idle run go) draws what it would have drawn without that.
    private func noiseSource(seed: UInt64?, round: Int) throws -> GaussianNoise {
        if let seed { return GaussianNoise.seeded(Self.roundSeed(seed ^ stableHash(name), round: round)) }
        if let noise { return noise }
        let made = try GaussianNoise.secure()
        noise = made
        return made
    }

    /// `base` for round 0, else `base` xor the SplitMix64 finalizer of the round (Steele, Lea
    /// and Flood, "Fast Splittable Pseudorandom Number Generators", OOPSLA 2014): the seeded
    /// stream steps its seed by the golden-ratio constant, so seeds a multiple of it apart
    /// would give overlapping streams; hashed round offsets do not line up so.
    static func roundSeed(_ base: UInt64, round: Int) -> UInt64 {
        var z = UInt64(truncatingIfNeeded: round)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return base ^ (z ^ (z >> 31))
    }

    public func evaluate(_ task: TrainingTask) async throws -> SiteEvaluation {
        let holdout = try encodedData(task.preprocessing).holdout
        let network = Self.network(for: task)
        let logits = network.predictLogits(holdout.features)
        var gradient = Tensor<Float>.zeros(logits.shape)
        let lossSum = task.loss.evaluate(logits: logits, labels: holdout.labels[...], gradient: &gradient)
        let predicted = Evaluation.predictedClasses(logits: logits, loss: task.loss)
        let correct = zip(predicted, holdout.labels).filter { $0 == $1 }.count
        if task.outputWidth == 1 {
            var histogram = ScoreHistogram()
            for (i, label) in holdout.labels.enumerated() {
                histogram.add(score: Double(Activation.sigmoid(logits.scalars[i])), label: label)
            }
            return SiteEvaluation(records: holdout.rowCount, lossSum: lossSum, correct: correct, histogram: histogram, confusion: nil)
        }
        let confusion = MulticlassConfusionMatrix(labels: holdout.labels, predicted: predicted, classCount: task.outputWidth)
        return SiteEvaluation(records: holdout.rowCount, lossSum: lossSum, correct: correct, histogram: nil, confusion: confusion)
    }
}

/// FNV-1a of a string: a stable per-site seed offset (Swift's hashValue changes per run).
func stableHash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }
    return hash
}
