import Foundation
import Testing
@testable import CohortLearn

@Suite("Binary probability metrics: log-loss, Brier score, calibration")
struct MetricsProbabilityTests {
    // labels [1, 0, 1, 0], probabilities [0.8, 0.3, 0.6, 0.1]
    let labels = [1, 0, 1, 0]
    let scores = [0.8, 0.3, 0.6, 0.1]

    @Test("log-loss is the mean negative log-likelihood")
    func logLoss() {
        // −(ln 0.8 + ln(1 − 0.3) + ln 0.6 + ln(1 − 0.1)) / 4
        // = (0.2231436 + 0.3566749 + 0.5108256 + 0.1053605) / 4 = 1.1960046 / 4 = 0.2990012
        let p = BinaryPredictions(scores: scores, labels: labels)
        #expect(isValue(p.logLoss(), 0.2990011586691898, tolerance: 1e-12))
    }

    @Test("log-loss clips probabilities to [1e-15, 1 − 1e-15]")
    func logLossClipping() {
        // a positive predicted 0 costs −ln(1e-15) = 34.538776…; a negative predicted 0 costs
        // −ln(1 − 1e-15) ≈ 1e-15. The clip applies to the probability of the observed class,
        // so a negative predicted 1 (observed-class probability 0) also costs 34.538776….
        let confidentAndWrong = BinaryPredictions(scores: [0.0], labels: [1])
        #expect(isValue(confidentAndWrong.logLoss(), 34.538776394910684, tolerance: 1e-9))
        let confidentAndRight = BinaryPredictions(scores: [0.0, 1.0], labels: [0, 1])
        let loss = confidentAndRight.logLoss().doubleValue ?? -1
        #expect(loss > 0 && loss < 1e-14)
        // one of each: (34.538776 + ~0) / 2
        #expect(isValue(BinaryPredictions(scores: [1.0, 1.0], labels: [0, 1]).logLoss(), 34.538776394910684 / 2,
                        tolerance: 1e-9))
    }

    @Test("the Brier score is the mean squared error of the probabilities")
    func brier() {
        // ((0.8 − 1)² + (0.3 − 0)² + (0.6 − 1)² + (0.1 − 0)²) / 4 = (0.04 + 0.09 + 0.16 + 0.01) / 4 = 0.075
        let p = BinaryPredictions(scores: scores, labels: labels)
        #expect(isValue(p.brierScore(), 0.075))
        // predicting the prevalence 1/4 for 1 positive and 3 negatives: (0.75² + 3·0.25²)/4 = 0.1875 = π(1 − π)
        let constant = BinaryPredictions(scores: [0.25, 0.25, 0.25, 0.25], labels: [1, 0, 0, 0])
        #expect(isValue(constant.brierScore(), 0.1875))
    }

    @Test("probability metrics are undefined for scores outside [0, 1], ranking metrics are not")
    func invalidProbabilities() {
        let p = BinaryPredictions(scores: [0.2, 1.2, 0.9], labels: [0, 1, 1])
        #expect(p.logLoss() == .undefined(reason: .invalidProbability))
        #expect(p.brierScore() == .undefined(reason: .invalidProbability))
        #expect(p.expectedCalibrationError() == .undefined(reason: .invalidProbability))
        #expect(isValue(p.auroc(), 1))
        let nan = BinaryPredictions(scores: [0.2, .nan], labels: [0, 1])
        #expect(nan.logLoss() == .undefined(reason: .invalidProbability))
        #expect(nan.calibration().bins.allSatisfy { $0.count == 0 })
        let empty = BinaryPredictions(scores: [Double](), labels: [Int]())
        #expect(empty.logLoss() == .undefined(reason: .emptyInput))
        #expect(empty.brierScore() == .undefined(reason: .emptyInput))
        #expect(empty.expectedCalibrationError() == .undefined(reason: .emptyInput))
    }

    @Test("ECE and the reliability bins of a constructed example")
    func expectedCalibrationError() throws {
        // 10 bins [b/10, (b+1)/10):
        //   bin 0: 0.05, 0.05, labels 0, 0       → e = 0.05, o = 0,    |o − e| = 0.05
        //   bin 2: 0.25 ×4, labels 1, 0, 0, 0    → e = 0.25, o = 0.25, |o − e| = 0
        //   bin 7: 0.72, 0.78, labels 1, 1       → e = 0.75, o = 1,    |o − e| = 0.25
        //   bin 9: 1.0, label 1 (1 is in the last bin) → e = 1, o = 1, |o − e| = 0
        // ECE = (2·0.05 + 4·0 + 2·0.25 + 1·0) / 9 = 0.6 / 9 = 0.0667; MCE = 0.25
        let p = BinaryPredictions(
            scores: [0.05, 0.05, 0.25, 0.25, 0.25, 0.25, 0.72, 0.78, 1.0],
            labels: [0, 0, 1, 0, 0, 0, 1, 1, 1])
        let calibration = p.calibration()
        #expect(calibration.bins.map(\.count) == [2, 0, 4, 0, 0, 0, 0, 2, 0, 1])
        #expect(isValue(calibration.expectedCalibrationError, 0.6 / 9))
        #expect(isValue(calibration.maximumCalibrationError, 0.25))
        #expect(isValue(p.expectedCalibrationError(binCount: 10), 0.6 / 9))
        let bin7 = calibration.bins[7]
        #expect(isValue(bin7.meanPredicted, 0.75))
        #expect(isValue(bin7.observedFrequency, 1))
        #expect(abs(bin7.lowerEdge - 0.7) < 1e-15 && abs(bin7.upperEdge - 0.8) < 1e-15)
        #expect(calibration.bins[1].observedFrequency == .undefined(reason: .emptyBin))
        #expect(calibration.bins[1].meanPredicted == .undefined(reason: .emptyBin))
    }

    @Test("with one bin, ECE is |mean label − mean prediction|")
    func oneBin() {
        // mean prediction (0.8 + 0.3 + 0.6 + 0.1)/4 = 0.45; mean label 0.5 → 0.05
        let p = BinaryPredictions(scores: scores, labels: labels)
        #expect(isValue(p.expectedCalibrationError(binCount: 1), 0.05, tolerance: 1e-12))
    }

    @Test("a probability on an edge b/M lands in bin b for every M, despite rounding of p·M")
    func binEdges() {
        // 15/22·22 rounds below 15 in Double, so flooring p·M alone would put it in bin 14.
        #expect(Calibration.binIndex(of: 15.0 / 22.0, binCount: 22) == 15)
        for m in 1..<120 {
            for b in 0..<m {
                let edge = Double(b) / Double(m)
                #expect(Calibration.binIndex(of: edge, binCount: m) == b)
                if b > 0 { #expect(Calibration.binIndex(of: edge.nextDown, binCount: m) == b - 1) }
            }
            #expect(Calibration.binIndex(of: 1, binCount: m) == m - 1)
        }
    }

    @Test("calibration bins encode their means for a plotting reader")
    func binJSON() throws {
        let calibration = BinaryPredictions(scores: [0.25, 0.375], labels: [1, 0]).calibration(binCount: 2)
        let data = try JSONEncoder().encode(calibration)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains(#""meanPredicted":{"value":0.3125}"#))  // (0.25 + 0.375) / 2
        #expect(text.contains(#""observedFrequency":{"value":0.5}"#))
        #expect(text.contains(#""observedFrequency":{"reason":"no examples in this bin","value":null}"#)
                || text.contains(#""observedFrequency":{"value":null,"reason":"no examples in this bin"}"#))
        #expect(try JSONDecoder().decode(Calibration.self, from: data) == calibration)
    }
}
