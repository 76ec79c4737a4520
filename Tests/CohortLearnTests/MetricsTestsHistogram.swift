import Foundation
import Testing
@testable import CohortLearn

@Suite("ScoreHistogram: federated AUROC, calibration and threshold metrics from binned counts")
struct MetricsHistogramTests {
    /// Scores that are exact bin edges k/1000, k < 1000, with many ties. (1 shares the
    /// last bin with 0.999; see `topBin`.)
    static func edgeData(seed: UInt64) -> (scores: [Double], labels: [Int]) {
        let (scores, labels) = tiedRandomData(count: 500, levels: 999, seed: seed)
        return (scores.map { Double(Int(($0 * 999).rounded())) / 1000 }, labels)
    }

    @Test("on bin-edge scores, AUROC and AP equal the exact values", arguments: [UInt64(11), 12, 13])
    func edgeScoresAreExact(seed: UInt64) {
        let (scores, labels) = Self.edgeData(seed: seed)
        let histogram = ScoreHistogram(scores: scores, labels: labels)
        let exact = BinaryPredictions(scores: scores, labels: labels)
        #expect(isValue(histogram.auroc(), bruteForceAUROC(scores: scores, labels: labels), tolerance: 1e-12))
        #expect(isValue(histogram.averagePrecision(), exact.averagePrecision().doubleValue ?? .nan, tolerance: 1e-12))
        #expect(histogram.rocCurve()?.thresholds == exact.rocCurve()?.thresholds)
    }

    @Test("on continuous scores, the 1000-bin AUROC is within 1e-3 of the exact one")
    func continuousScores() {
        var generator = MetricsTestGenerator(seed: 14)
        var scores: [Double] = []
        var labels: [Int] = []
        for _ in 0..<3000 {
            let label = Int.random(in: 0...1, using: &generator)
            // positives centred higher; a sigmoid keeps every score in (0, 1)
            let z = Double.random(in: -2...2, using: &generator) + (label == 1 ? 0.8 : 0)
            scores.append(1 / (1 + exp(-z)))
            labels.append(label)
        }
        let exact = BinaryPredictions(scores: scores, labels: labels).auroc().doubleValue ?? .nan
        let binned = ScoreHistogram(scores: scores, labels: labels).auroc().doubleValue ?? .nan
        #expect(abs(binned - exact) < 1e-3)
        #expect(binned != exact)  // the bins really do tie some pairs
    }

    @Test("a positive and a negative in the same bin count as a tie")
    func binTie() {
        // 10 bins: 0.31 (positive) and 0.35 (negative) both fall in [0.3, 0.4).
        // Exact AUROC: the negative scores higher → 0. Binned: one tied pair → 1/2.
        let histogram = ScoreHistogram(scores: [0.31, 0.35], labels: [1, 0], binCount: 10)
        #expect(isValue(histogram.auroc(), 0.5))
        #expect(isValue(BinaryPredictions(scores: [0.31, 0.35], labels: [1, 0]).auroc(), 0))
    }

    @Test("a score of exactly 1 shares the last bin, so it ties with that bin's other scores")
    func topBin() {
        // bins of width 1/1000: 0.999 and 1.0 are both in [0.999, 1]
        let histogram = ScoreHistogram(scores: [0.999, 1.0], labels: [0, 1])
        #expect(isValue(histogram.auroc(), 0.5))
        #expect(histogram.confusionMatrix(threshold: 1).truePositives == 0)
    }

    @Test("merging two sites' histograms equals the histogram of the pooled data")
    func merge() {
        let (scores, labels) = Self.edgeData(seed: 15)
        var siteA = ScoreHistogram(scores: Array(scores[..<200]), labels: Array(labels[..<200]))
        let siteB = ScoreHistogram(scores: Array(scores[200...]), labels: Array(labels[200...]))
        let pooled = ScoreHistogram(scores: scores, labels: labels)
        #expect(siteA.merging(siteB).positiveCounts == pooled.positiveCounts)
        siteA.merge(siteB)
        #expect(siteA.positiveCounts == pooled.positiveCounts)
        #expect(siteA.negativeCounts == pooled.negativeCounts)
        #expect(zip(siteA.scoreSums, pooled.scoreSums).allSatisfy { abs($0 - $1) < 1e-9 })
        #expect(siteA.count == 500)
        #expect(isValue(siteA.auroc(), pooled.auroc().doubleValue ?? .nan))
    }

    @Test("coarse calibration bins from the histogram equal the exact ones")
    func calibration() {
        let (scores, labels) = Self.edgeData(seed: 16)
        let fromHistogram = ScoreHistogram(scores: scores, labels: labels).calibration(binCount: 10)
        let exact = BinaryPredictions(scores: scores, labels: labels).calibration(binCount: 10)
        #expect(fromHistogram.bins.map(\.count) == exact.bins.map(\.count))
        #expect(ScoreHistogram(scores: scores, labels: labels).calibrationBins().map(\.count) == exact.bins.map(\.count))
        #expect(exact.bins.filter { $0.count > 0 }.count >= 9)  // the data fill the bins
        #expect(fromHistogram.bins.map(\.positiveCount) == exact.bins.map(\.positiveCount))
        #expect(isValue(fromHistogram.expectedCalibrationError,
                        exact.expectedCalibrationError.doubleValue ?? .nan, tolerance: 1e-12))
        #expect(isValue(fromHistogram.maximumCalibrationError,
                        exact.maximumCalibrationError.doubleValue ?? .nan, tolerance: 1e-12))
    }

    @Test("threshold metrics at a bin edge equal the exact ones", arguments: [0.5, 0.3, 0.001, 0.999, 0])
    func thresholds(threshold: Double) {
        let (scores, labels) = Self.edgeData(seed: 17)
        let histogram = ScoreHistogram(scores: scores, labels: labels)
        let exact = BinaryPredictions(scores: scores, labels: labels)
        #expect(histogram.confusionMatrix(threshold: threshold) == exact.confusionMatrix(threshold: threshold))
        #expect(histogram.sensitivity(threshold: threshold) == exact.sensitivity(threshold: threshold))
        #expect(histogram.negativePredictiveValue(threshold: threshold)
                == exact.negativePredictiveValue(threshold: threshold))
    }

    @Test("Brier score: exact on bin-edge scores, within 1/B + 1/B² on continuous ones, undefined without data",
          arguments: [UInt64(21), 22])
    func brierScore(seed: UInt64) {
        let (edges, edgeLabels) = Self.edgeData(seed: seed)
        let exactOnEdges = BinaryPredictions(scores: edges, labels: edgeLabels).brierScore().doubleValue ?? .nan
        #expect(isValue(ScoreHistogram(scores: edges, labels: edgeLabels).brierScore(), exactOnEdges, tolerance: 1e-12))

        var generator = MetricsTestGenerator(seed: seed)
        let labels = (0..<2000).map { _ in Int.random(in: 0...1, using: &generator) }
        let scores = labels.map { label in 1 / (1 + exp(-(Double.random(in: -2...2, using: &generator) + (label == 1 ? 1 : 0)))) }
        let exact = BinaryPredictions(scores: scores, labels: labels).brierScore().doubleValue ?? .nan
        for bins in [10, 1000] {
            let binned = ScoreHistogram(scores: scores, labels: labels, binCount: bins).brierScore().doubleValue ?? .nan
            let bound = 1 / Double(bins) + 1 / Double(bins * bins)
            #expect(abs(binned - exact) <= bound, "\(bins) bins: \(binned) vs \(exact)")
        }
        #expect(ScoreHistogram().brierScore() == .undefined(reason: .emptyInput))
        #expect(ScoreHistogram(scores: [0.2, .nan], labels: [0, 1]).brierScore() == .undefined(reason: .invalidProbability))
    }

    @Test("Float scores, Bool labels and add(score:label:) build the same histogram")
    func adding() {
        var histogram = ScoreHistogram(binCount: 4)
        histogram.add(score: Float(0.1), label: true)
        histogram.add(score: Float(0.3), label: 0)
        histogram.add(score: Float(1.0), label: 1)
        #expect(histogram.positiveCounts == [1, 0, 0, 1])  // 0.1 → bin 0, 1.0 → last bin
        #expect(histogram.negativeCounts == [0, 1, 0, 0])  // 0.3 → bin 1 = [0.25, 0.5)
        #expect(histogram == ScoreHistogram(scores: [Float(0.1), 0.3, 1.0], labels: [true, false, true], binCount: 4))
    }

    @Test("invalid scores are counted, not binned, and make every metric undefined")
    func invalidScores() {
        let histogram = ScoreHistogram(scores: [0.2, .nan, 1.5, 0.8], labels: [0, 1, 1, 1])
        #expect(histogram.invalidScoreCount == 2)
        #expect(histogram.count == 2)
        #expect(histogram.auroc() == .undefined(reason: .invalidProbability))
        #expect(histogram.expectedCalibrationError() == .undefined(reason: .invalidProbability))
        #expect(histogram.sensitivity() == .undefined(reason: .invalidProbability))
    }

    @Test("empty and one-class histograms say why their metrics are undefined")
    func degenerate() {
        let empty = ScoreHistogram()
        #expect(empty.auroc() == .undefined(reason: .emptyInput))
        #expect(empty.expectedCalibrationError() == .undefined(reason: .emptyInput))
        #expect(empty.accuracy() == .undefined(reason: .emptyInput))
        #expect(empty.rocCurve() == nil)
        let positivesOnly = ScoreHistogram(scores: [0.2, 0.9], labels: [1, 1])
        #expect(positivesOnly.auroc() == .undefined(reason: .onlyOneClassPresent))
        #expect(positivesOnly.averagePrecision() == .undefined(reason: .onlyOneClassPresent))
        #expect(positivesOnly.specificity() == .undefined(reason: .noNegatives))
    }

    @Test("a histogram survives JSON, and an inconsistent one is rejected")
    func json() throws {
        let histogram = ScoreHistogram(scores: [0.1, 0.7, 0.75], labels: [0, 1, 0], binCount: 5)
        let data = try JSONEncoder().encode(histogram)
        #expect(try JSONDecoder().decode(ScoreHistogram.self, from: data) == histogram)
        let bad = [
            #"{"binCount":2,"positiveCounts":[1],"negativeCounts":[0,0],"scoreSums":[0.1,0],"invalidScoreCount":0}"#,
            #"{"binCount":2,"positiveCounts":[-1,0],"negativeCounts":[0,0],"scoreSums":[0,0],"invalidScoreCount":0}"#,
            #"{"binCount":2,"positiveCounts":[1,0],"negativeCounts":[0,0],"scoreSums":[0.9,0],"invalidScoreCount":0}"#,
            #"{"binCount":0,"positiveCounts":[],"negativeCounts":[],"scoreSums":[],"invalidScoreCount":0}"#,
        ]
        for text in bad {
            #expect(throws: DecodingError.self) {
                try JSONDecoder().decode(ScoreHistogram.self, from: Data(text.utf8))
            }
        }
    }
}
