import CohortTensor
import Foundation

/// Trains a network on one site's data: minibatches, epochs, a learning-rate schedule,
/// early stopping on the validation split, and DP-SGD when asked.
public struct Trainer: Sendable {
    public var options: TrainingOptions

    public init(options: TrainingOptions) { self.options = options }

    /// Trains `network` in place and returns the history.
    ///
    /// `noise` is required under DP-SGD: a secure generator for real runs, a seeded one in
    /// simulations and tests. `progress` is called after every epoch.
    public func train(
        _ network: inout Network, loss: Loss, training: LabeledData, validation: LabeledData? = nil,
        noise: GaussianNoise? = nil, progress: ((EpochRecord) -> Void)? = nil
    ) throws(TrainingError) -> TrainingResult {
        try options.validate()
        guard training.count > 0 else { throw TrainingError("no training examples") }
        guard training.features.shape[1] == network.inputWidth else {
            throw TrainingError("data has \(training.features.shape[1]) features, the network expects \(network.inputWidth)")
        }
        let privacy = options.privacy
        if privacy != nil && noise == nil { throw TrainingError("DP-SGD needs a noise generator") }

        let n = training.count
        let batchSize = Swift.min(options.batchSize, n)
        let rate = Double(batchSize) / Double(n)
        let sampler = privacy == nil ? nil : PoissonSampler(rowCount: n, rate: rate)
        let stepsPerEpoch = Int((Double(n) / Double(batchSize)).rounded(.up))
        let (plannedSteps, overflow) = stepsPerEpoch.multipliedReportingOverflow(by: options.epochs)
        let totalSteps = Swift.min(overflow ? Int.max : plannedSteps, options.maximumSteps ?? Int.max)
        // A Poisson batch exceeds its mean rarely; the workspace grows if one does.
        var step = TrainingStep(network: network, capacity: batchSize)
        var optimizer = options.optimizer.makeOptimizer(for: network.parameters)
        var generator = SeededGenerator(seed: options.seed)
        // Two streams fill the noise in parallel (half the parameters each).
        let parallelNoise: ParallelGaussianNoise?
        // Secure sampling draws from a secure stream of its own, so that it never waits
        // for the noise streams while they fill a step ahead on another thread.
        var samplingGenerator: NoiseStreamGenerator?
        do {
            parallelNoise = try noise.map { try ParallelGaussianNoise($0, count: 2) }
            samplingGenerator = try noise.flatMap { $0.isSecure ? NoiseStreamGenerator(try GaussianNoise.secure()) : nil }
        } catch {
            throw TrainingError("cannot start the noise generator: \(error)")
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let threads = chooseThreads(network: network, loss: loss, training: training, batchSize: batchSize)
        // With BLAS on fewer threads than cores, a core is idle during the step: the next
        // steps' noise is drawn there. Exactly the steps this run takes are drawn, so the
        // noise and the streams' state after the run are those of drawing in the step.
        let prefetched: PrefetchedGaussianNoise? = parallelNoise.flatMap { parallelNoise in
            guard let privacy, privacy.noiseMultiplier > 0, threads < cores, totalSteps > 1, totalSteps < Int.max else { return nil }
            return PrefetchedGaussianNoise(parallelNoise, sizes: network.parameters.tensors.map(\.count), steps: totalSteps)
        }
        defer { prefetched?.stop() }

        var order = Array(0..<n)
        var batch = [Int]()
        batch.reserveCapacity(batchSize * 2)
        var history = [EpochRecord]()
        var best: (loss: Double, epoch: Int, parameters: NamedTensors)?
        var stepsTaken = 0
        var stoppedEarly = false
        for epoch in 1...options.epochs {
            let start = BLASDiagnostics.now()
            var lossSum = 0.0, examples = 0, clipped = 0
            var learningRate = options.learningRate
            if sampler == nil { order.shuffle(using: &generator) }
            for stepInEpoch in 0..<stepsPerEpoch {
                learningRate = options.schedule.learningRate(
                    base: options.learningRate, step: stepsTaken, totalSteps: totalSteps)
                if let sampler, let privacy, let parallelNoise {
                    if var secure = samplingGenerator {
                        sampler.sample(into: &batch, using: &secure)
                        samplingGenerator = secure
                    } else {
                        sampler.sample(into: &batch, using: &generator)
                    }
                    let result = step.privateStep(
                        &network, optimizer: &optimizer, loss: loss, data: training, rows: batch[...],
                        options: privacy, expectedBatchSize: rate * Double(n), noise: parallelNoise,
                        prefetched: prefetched, learningRate: learningRate, proximal: options.proximal, generator: &generator)
                    lossSum += result.loss
                    clipped += result.clipped
                } else {
                    let lower = stepInEpoch * batchSize
                    let rows = order[lower..<Swift.min(lower + batchSize, n)]
                    lossSum += step.plainStep(
                        &network, optimizer: &optimizer, loss: loss, data: training, rows: rows,
                        learningRate: learningRate, proximal: options.proximal, generator: &generator)
                }
                examples += step.workspace.batchSize
                stepsTaken += 1
                if let limit = options.maximumSteps, stepsTaken >= limit { break }
            }
            let seconds = BLASDiagnostics.now() - start
            var record = EpochRecord(
                epoch: epoch, steps: stepsPerEpoch, examples: examples,
                trainingLoss: examples > 0 ? lossSum / Double(examples) : .nan,
                validationLoss: nil, validationAccuracy: nil, learningRate: learningRate, seconds: seconds,
                clippedFraction: privacy == nil ? nil : Double(clipped) / Double(Swift.max(examples, 1)))
            if let validation, validation.count > 0 {
                let evaluation = Evaluation.of(network, loss: loss, on: validation)
                record.validationLoss = evaluation.loss
                record.validationAccuracy = evaluation.accuracy
            }
            history.append(record)
            progress?(record)
            if let limit = options.maximumSteps, stepsTaken >= limit { break }
            guard let patience = options.earlyStoppingPatience, privacy == nil,
                  let validationLoss = record.validationLoss else { continue }
            if let current = best, validationLoss >= current.loss {
                if epoch - current.epoch >= patience {
                    stoppedEarly = true
                    break
                }
            } else {
                best = (validationLoss, epoch, network.parameters)
            }
        }
        if let best, options.earlyStoppingPatience != nil, privacy == nil {
            network.parameters = best.parameters
        }
        return TrainingResult(
            history: history, bestEpoch: best?.epoch ?? history.count, stoppedEarly: stoppedEarly,
            steps: stepsTaken, samplingRate: privacy == nil ? nil : rate,
            noiseWasSecure: privacy == nil ? nil : noise?.isSecure, blasThreads: threads)
    }

    /// Applies the thread policy; for `.automatic`, times forward and backward passes on a
    /// scratch copy with one thread and with all cores, and keeps the faster.
    private func chooseThreads(network: Network, loss: Loss, training: LabeledData, batchSize: Int) -> Int {
        switch options.blasThreads {
        case .unchanged:
            return BLASRuntime.threads
        case .fixed(let n):
            BLASRuntime.threads = n
            return n
        case .automatic:
            let cores = ProcessInfo.processInfo.activeProcessorCount
            guard cores > 1 else {
                BLASRuntime.threads = 1
                return 1
            }
            var scratch = network
            var step = TrainingStep(network: scratch, capacity: batchSize)
            var generator = SeededGenerator(seed: 0)
            let rows = Array(0..<batchSize)[...]
            // Time what a step will do: under DP-SGD the single-threaded parts (norms,
            // noise) weigh more, and idle BLAS threads spinning beside them cost more.
            // With fewer BLAS threads than cores the noise is drawn on the idle core during
            // the step (`PrefetchedGaussianNoise`), so only the all-cores timing includes it.
            let scratchNoise = options.privacy.map { _ in try? ParallelGaussianNoise(GaussianNoise.seeded(0), count: 2) } ?? nil
            // The two counts take turns, and each keeps its fastest turn: load from elsewhere
            // on a shared machine only ever slows a turn, so a burst decides nothing.
            let counts = [1, cores]
            var fastest = [Double](repeating: .infinity, count: counts.count)
            for repetition in 0..<7 {
                for (index, threads) in counts.enumerated() {
                    BLASRuntime.threads = threads
                    let noiseOnThisThread = (options.privacy?.noiseMultiplier ?? 0) > 0 && threads >= cores
                    let start = BLASDiagnostics.now()
                    for _ in 0..<4 {
                        if let privacy = options.privacy, let scratchNoise {
                            _ = step.timingPrivateGradient(&scratch, loss: loss, data: training, rows: rows,
                                                           clipNorm: privacy.clipNorm, noise: noiseOnThisThread ? scratchNoise : nil,
                                                           generator: &generator)
                        } else {
                            _ = step.computeGradient(&scratch, loss: loss, data: training, rows: rows, generator: &generator)
                        }
                    }
                    // The first turn of each count warms it up.
                    if repetition > 0 { fastest[index] = min(fastest[index], BLASDiagnostics.now() - start) }
                }
            }
            let chosen = fastest.indices.min { fastest[$0] < fastest[$1] }.map { counts[$0] } ?? cores
            BLASRuntime.threads = chosen
            return chosen
        }
    }
}
