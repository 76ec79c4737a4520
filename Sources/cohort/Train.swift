import ArgumentParser
import CohortData
import CohortLearn
import CohortPrivacy
import CohortTensor
import Foundation

/// `cohort train`: a site's local model on its own CSV, optionally with DP-SGD.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model on one CSV (a site's local baseline) and write a model file.",
        discussion: """
            The CSV is split into stratified train/validation/test parts; preprocessing
            statistics are learned on the training part only and stored in the model file,
            with the schema, so the file alone scores new data (`cohort evaluate`).
            With --dp, training is DP-SGD (per-example clipping, Gaussian noise, Poisson
            sampling) and the ε spent is printed for the given δ, per patient record.
            """)

    @Option(help: "The training CSV (header row, one row per patient).")
    var data: String

    @Option(help: "The label column.")
    var label: String?

    @Option(help: "A schema JSON file (default: NAME.schema.json next to the CSV, else inferred with --label).")
    var schema: String?

    @Option(help: "A model definition: a name from Models/ (e.g. logistic-regression, mlp-small) or a YAML path.")
    var model: String = "logistic-regression"

    @Option(help: "Where to write the model (safetensors).")
    var out: String

    @Option(help: "Passes over the training data.") var epochs = 30
    @Option(help: "Examples per minibatch (the expected size under --dp).") var batchSize = 32
    @Option(help: "Learning rate.") var learningRate: Float = 0.05
    @Option(help: "Optimiser: sgd, nesterov, adam or adamw.") var optimizer = "sgd"
    @Option(help: "Momentum for sgd and nesterov.") var momentum: Float = 0.9
    @Option(help: "Weight decay (L2 on all parameters for sgd/adam; decoupled for adamw).") var weightDecay: Float = 0
    @Option(help: "Learning-rate schedule: constant or cosine.") var schedule = "constant"
    @Option(help: "Stop after this many epochs without a better validation loss (0: never).") var patience = 10
    @Option(help: "Fractions for train,validation,test.") var split = "0.7,0.15,0.15"
    @Option(help: "Seed for the split, initialisation, shuffling and (without --dp) everything random.") var seed: UInt64 = 0

    @Flag(help: "Train with DP-SGD (record-level differential privacy).") var dp = false
    @Option(help: "DP-SGD: per-example L2 clip bound C.") var clip: Float = 1.0
    @Option(help: "DP-SGD: noise multiplier σ (noise std = σ·C).") var noiseMultiplier: Double?
    @Option(help: "DP-SGD: δ for the reported ε (default 1/n², at most 1e-5).") var delta: Double?
    @Flag(help: "DP-SGD: seeded noise, reproducible and NOT private (tests and simulations only).")
    var insecureSeededNoise = false

    @Flag(help: "Print one JSON summary object at the end instead of the table.") var json = false
    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        if dp && noiseMultiplier == nil {
            throw ValidationError("--dp needs --noise-multiplier (σ); `cohort privacy sigma` finds σ for a target ε")
        }
        if !dp && (noiseMultiplier != nil || insecureSeededNoise) {
            throw ValidationError("--noise-multiplier and --insecure-seeded-noise apply only with --dp")
        }
        if let delta, !(delta > 0 && delta < 1) { throw ValidationError("--delta must be in (0, 1), got \(delta)") }
        _ = try parsedSplit()
        _ = try parsedOptimizer()
        _ = try parsedSchedule()
    }

    func parsedSplit() throws -> SplitFractions {
        let parts = split.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let train = parts[0], let validation = parts[1], let test = parts[2] else {
            throw ValidationError("--split takes three fractions like 0.7,0.15,0.15, got '\(split)'")
        }
        let fractions = SplitFractions(train: train, validation: validation, test: test)
        do { try fractions.validate() } catch { throw ValidationError("--split: \(error)") }
        return fractions
    }

    func parsedOptimizer() throws -> OptimizerConfiguration {
        switch optimizer {
        case "sgd": return .sgd(momentum: momentum, nesterov: false, weightDecay: weightDecay)
        case "nesterov": return .sgd(momentum: momentum, nesterov: true, weightDecay: weightDecay)
        case "adam": return .adam(weightDecay: weightDecay)
        case "adamw": return .adamW(weightDecay: weightDecay)
        default: throw ValidationError("--optimizer must be sgd, nesterov, adam or adamw, got '\(optimizer)'")
        }
    }

    func parsedSchedule() throws -> LearningRateSchedule {
        switch schedule {
        case "constant": return .constant
        case "cosine": return .cosine(minimum: 0)
        default: throw ValidationError("--schedule must be constant or cosine, got '\(schedule)'")
        }
    }

    func run() throws {
        compute.apply()
        let csv = URL(fileURLWithPath: data)
        let table = try CSVTable(contentsOf: csv)
        let schema = try loadSchema(for: table, csv: csv)
        let dataset = try Dataset(table: table, schema: schema, fractions: parsedSplit(), seed: seed)
        let definition = try ModelDefinition.load(model, modelsDirectory: ModelsDirectory.url)
        let loss = Loss.forClassification(classCount: dataset.classes.count)
        let outputWidth = loss.outputWidth(classCount: dataset.classes.count)
        var generator = SeededGenerator(seed: seed)
        var network = Network(definition: definition, inputWidth: dataset.statistics.encodedFeatureCount,
                              outputWidth: outputWidth, using: &generator)

        let privacy = dp ? DPSGDOptions(clipNorm: clip, noiseMultiplier: noiseMultiplier ?? 1) : nil
        let noise: GaussianNoise? = dp ? (insecureSeededNoise ? .seeded(seed) : try GaussianNoise.secure()) : nil
        let options = TrainingOptions(
            epochs: epochs, batchSize: batchSize, learningRate: learningRate, optimizer: try parsedOptimizer(),
            schedule: try parsedSchedule(), earlyStoppingPatience: patience > 0 ? patience : nil, seed: seed,
            privacy: privacy, blasThreads: compute.blasThreads.map { .fixed($0) } ?? .automatic)
        let training = LabeledData(features: dataset.train.features, labels: dataset.train.labels)
        let validation = LabeledData(features: dataset.validation.features, labels: dataset.validation.labels)

        let progress = ProgressLine()
        progress.note("\(definition.name): \(network.summary); \(training.count) training rows, \(validation.count) validation, \(dataset.test.rowCount) test; \(loss.rawValue)")
        let result = try Trainer(options: options).train(
            &network, loss: loss, training: training, validation: validation.count > 0 ? validation : nil,
            noise: noise
        ) { record in
            var text = String(format: "epoch %d/%d  loss %.4f", record.epoch, epochs, record.trainingLoss)
            if let v = record.validationLoss, let a = record.validationAccuracy {
                text += String(format: "  validation loss %.4f accuracy %.3f", v, a)
            }
            text += String(format: "  %.0f samples/s", record.samplesPerSecond)
            progress.update(text)
        }
        progress.finish()

        var privacyLine: String?
        var guarantee: PrivacyGuarantee?
        if let privacy, let rate = result.samplingRate {
            let delta = self.delta ?? min(1e-5, 1 / Double(training.count * training.count))
            let statement = try PrivacyStatement.forDPSGD(
                samplingRate: rate, noiseMultiplier: privacy.noiseMultiplier, steps: result.steps, delta: delta)
            guarantee = statement
            privacyLine = "ε = \(String(format: "%.3f", statement.epsilon)), δ = \(String(format: "%.3g", delta)), per patient record "
                + "(DP-SGD, q = \(String(format: "%.4f", rate)), σ = \(privacy.noiseMultiplier), C = \(privacy.clipNorm), \(result.steps) steps; "
                + "noise: \(result.noiseWasSecure == true ? "secure" : "SEEDED, not private"))"
        }

        let trained = TrainedModel(
            network: network,
            task: .init(loss: loss, classes: dataset.classes, inputWidth: network.inputWidth, outputWidth: outputWidth,
                        featureNames: dataset.featureNames),
            schema: schema, preprocessing: dataset.statistics,
            provenance: .init(createdBy: "cohort \(Cohort.configuration.version) train", trainingData: csv.lastPathComponent,
                              trainingRows: training.count, epochs: result.history.count, privacy: privacyLine,
                              notes: ["seed": "\(seed)", "blas_threads": "\(result.blasThreads)"]))
        let outURL = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: outURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        try trained.write(to: outURL)

        let evaluation = try ModelEvaluation(model: trained, data: dataset.test)
        if json {
            struct Summary: Encodable {
                var model_file: String
                var epochs: Int
                var privacy: String?
                var epsilon: Double?
                var delta: Double?
                var test: ModelEvaluation
            }
            let summary = Summary(model_file: out, epochs: result.history.count, privacy: privacyLine,
                                  epsilon: guarantee?.epsilon, delta: guarantee?.delta, test: evaluation)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print("trained \(result.history.count) epochs\(result.stoppedEarly ? " (early stop; kept epoch \(result.bestEpoch))" : ""), BLAS threads \(result.blasThreads)")
            if let privacyLine { print(privacyLine) }
            print("wrote \(out)")
            print("")
            print("test split (\(dataset.test.rowCount) rows):")
            print(evaluation.table())
        }
    }

    func loadSchema(for table: CSVTable, csv: URL) throws -> Schema {
        if let schema { return try Schema(contentsOf: URL(fileURLWithPath: schema)) }
        let companion = Schema.companionURL(forCSV: csv)
        if label == nil, FileManager.default.fileExists(atPath: companion.path) {
            return try Schema(contentsOf: companion)
        }
        guard let label else {
            throw ValidationError("no schema next to \(csv.path): give --label COLUMN (or --schema FILE)")
        }
        if FileManager.default.fileExists(atPath: companion.path) {
            let stored = try Schema(contentsOf: companion)
            if stored.label.name == label { return stored }
        }
        return try Schema.infer(from: table, label: label)
    }
}
