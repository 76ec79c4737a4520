import CohortLearn

/// The sites' holdout evaluations summed into one, and the plan's metrics computed from it.
///
/// What is pooled is what the sites return (`SiteEvaluation`): counts, loss sums, and for a
/// binary task a `ScoreHistogram` of P(positive), for a multi-class one a confusion matrix.
/// No per-patient score leaves a site, so each metric is one of CohortLearn's functions of
/// those summaries:
///
/// | metric | binary task | multi-class task |
/// |---|---|---|
/// | accuracy | Σ correct / Σ records (threshold 0.5) | Σ correct / Σ records (argmax) |
/// | log_loss | Σ loss / Σ records | Σ loss / Σ records |
/// | auroc, auprc | histogram, bins as ties | undefined |
/// | brier, ece | histogram (ECE in 10 bins) | undefined |
/// | sensitivity, specificity, ppv, npv, balanced_accuracy | histogram at threshold 0.5 | balanced accuracy from the matrix; the rest undefined |
/// | macro_f1 | the 2×2 matrix at threshold 0.5 | the matrix |
///
/// A metric without a value is reported with its reason, never as a number.
struct PooledEvaluation: Sendable {
    /// Classes of the task (2 for binary).
    var classCount: Int
    var records = 0
    var correct = 0
    var lossSum = 0.0
    /// Binary tasks: the merged score histograms.
    var histogram: ScoreHistogram?
    /// Multi-class tasks: the summed confusion matrices.
    var confusion: MulticlassConfusionMatrix?

    init(classCount: Int) {
        self.classCount = classCount
    }

    /// Adds one site's evaluation; a confusion matrix of the wrong size is left out.
    mutating func add(_ evaluation: SiteEvaluation) {
        records += evaluation.records
        correct += evaluation.correct
        lossSum += evaluation.lossSum
        if let site = evaluation.histogram {
            if let pooled = histogram {
                guard pooled.binCount == site.binCount else { return }
                histogram = pooled.merging(site)
            } else {
                histogram = site
            }
        }
        if let matrix = evaluation.confusion, matrix.classCount == classCount {
            confusion = confusion.map { $0 + matrix } ?? matrix
        }
    }

    /// The value of `metric` on the pooled holdout, or the reason it has none.
    func value(of metric: Plan.Evaluation.Metric) -> Result<Double, Undefined> {
        guard records > 0 else { return .failure(Undefined("no holdout records were evaluated")) }
        switch metric {
        case .accuracy:
            return .success(Double(correct) / Double(records))
        case .logLoss:
            guard lossSum.isFinite else { return .failure(Undefined("the pooled loss is not finite")) }
            return .success(lossSum / Double(records))
        default:
            break
        }
        if classCount > 2 {
            guard let confusion else { return .failure(Undefined("no site returned a confusion matrix")) }
            switch metric {
            case .macroF1: return Self.result(confusion.macroF1)
            case .balancedAccuracy: return Self.result(confusion.balancedAccuracy)
            default: return .failure(Undefined("a binary metric; the task has \(classCount) classes"))
            }
        }
        guard let histogram else { return .failure(Undefined("no site returned a score histogram")) }
        switch metric {
        case .auroc: return Self.result(histogram.auroc())
        case .auprc: return Self.result(histogram.averagePrecision())
        case .brier: return Self.result(histogram.brierScore())
        case .ece: return Self.result(histogram.expectedCalibrationError())
        case .sensitivity: return Self.result(histogram.sensitivity(threshold: 0.5))
        case .specificity: return Self.result(histogram.specificity(threshold: 0.5))
        case .ppv: return Self.result(histogram.positivePredictiveValue(threshold: 0.5))
        case .npv: return Self.result(histogram.negativePredictiveValue(threshold: 0.5))
        case .balancedAccuracy: return Self.result(histogram.balancedAccuracy(threshold: 0.5))
        case .macroF1:
            // The threshold rates share the histogram's reasons (invalid scores, no examples).
            if case .failure(let reason) = Self.result(histogram.accuracy(threshold: 0.5)) { return .failure(reason) }
            let binary = histogram.confusionMatrix(threshold: 0.5)
            guard let matrix = MulticlassConfusionMatrix(
                classCount: 2, rowMajorCounts: [binary.trueNegatives, binary.falsePositives,
                                                 binary.falseNegatives, binary.truePositives])
            else { preconditionFailure("a 2×2 confusion matrix from non-negative counts") }
            return Self.result(matrix.macroF1)
        case .accuracy, .logLoss:
            preconditionFailure("\(metric.rawValue) is computed above for every task")
        }
    }

    /// Writes every metric of `requested` into `record`: its value into `metrics`, or its
    /// reason into `undefinedMetrics`.
    func record(_ requested: [Plan.Evaluation.Metric], into record: inout RoundRecord) {
        for metric in requested {
            switch value(of: metric) {
            case .success(let x): record.metrics[metric.rawValue] = x
            case .failure(let undefined): record.undefinedMetrics[metric.rawValue] = undefined.reason
            }
        }
    }

    /// A CohortLearn metric as a result.
    private static func result(_ value: MetricValue) -> Result<Double, Undefined> {
        switch value {
        case .value(let x): .success(x)
        case .undefined(let reason): .failure(Undefined(reason.description))
        }
    }

    /// Why a metric has no value.
    struct Undefined: Error, Sendable, Equatable {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
