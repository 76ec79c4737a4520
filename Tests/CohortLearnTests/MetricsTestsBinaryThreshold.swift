import Testing
@testable import CohortLearn

@Suite("Binary threshold metrics: confusion matrix, sensitivity, specificity, PPV, NPV")
struct MetricsBinaryThresholdTests {
    // index:   0    1    2    3    4    5    6    7
    // label:   1    1    1    0    0    0    0    1
    // score:  0.9  0.6  0.3  0.7  0.2  0.1  0.5  0.5
    // >= 0.5:  TP   TP   FN   FP   TN   TN   FP   TP   (a score equal to the threshold is positive)
    // TP = 3, FP = 2, TN = 2, FN = 1
    let labels = [1, 1, 1, 0, 0, 0, 0, 1]
    let scores = [0.9, 0.6, 0.3, 0.7, 0.2, 0.1, 0.5, 0.5]

    @Test("the confusion matrix counts a score equal to the threshold as positive")
    func confusionMatrix() {
        let matrix = BinaryPredictions(scores: scores, labels: labels).confusionMatrix(threshold: 0.5)
        #expect(matrix == BinaryConfusionMatrix(truePositives: 3, falsePositives: 2, trueNegatives: 2, falseNegatives: 1))
        #expect(matrix.positives == 4 && matrix.negatives == 4)
        #expect(matrix.predictedPositives == 5 && matrix.predictedNegatives == 3)
    }

    @Test("the rates at 0.5 equal the hand-computed ratios")
    func rates() {
        let p = BinaryPredictions(scores: scores, labels: labels)
        #expect(isValue(p.sensitivity(), 0.75))                 // TP / P = 3 / 4
        #expect(isValue(p.specificity(), 0.5))                  // TN / N = 2 / 4
        #expect(isValue(p.positivePredictiveValue(), 0.6))      // TP / (TP + FP) = 3 / 5
        #expect(isValue(p.negativePredictiveValue(), 2.0 / 3))  // TN / (TN + FN) = 2 / 3
        #expect(isValue(p.accuracy(), 0.625))                   // (3 + 2) / 8
        #expect(isValue(p.balancedAccuracy(), 0.625))           // (0.75 + 0.5) / 2
        #expect(isValue(p.f1(), 2.0 / 3))                       // 2·3 / (2·3 + 2 + 1) = 6 / 9
    }

    @Test("moving the threshold above the tied 0.5s turns them negative")
    func thresholdMoves() {
        // >= 0.55: index 6 (neg, 0.5) becomes TN and index 7 (pos, 0.5) becomes FN.
        let matrix = BinaryPredictions(scores: scores, labels: labels).confusionMatrix(threshold: 0.55)
        #expect(matrix == BinaryConfusionMatrix(truePositives: 2, falsePositives: 1, trueNegatives: 3, falseNegatives: 2))
    }

    @Test("Float scores and Bool labels give the same metrics as Double and Int")
    func otherInputTypes() {
        let floats = BinaryPredictions(scores: scores.map { Float($0) }, labels: labels.map { $0 == 1 })
        #expect(floats.confusionMatrix(threshold: 0.5)
                == BinaryPredictions(scores: scores, labels: labels).confusionMatrix(threshold: 0.5))
        #expect(isValue(floats.positivePredictiveValue(), 0.6))
    }

    @Test("with no positives, sensitivity and balanced accuracy are undefined, specificity is not")
    func noPositives() {
        let p = BinaryPredictions(scores: [0.2, 0.7, 0.4], labels: [0, 0, 0])
        #expect(p.sensitivity() == .undefined(reason: .noPositives))
        #expect(p.balancedAccuracy() == .undefined(reason: .onlyOneClassPresent))
        #expect(isValue(p.specificity(), 2.0 / 3))  // 0.2 and 0.4 are below 0.5
        #expect(isValue(p.positivePredictiveValue(), 0))  // the one predicted positive is wrong
        #expect(isValue(p.f1(), 0))  // 2·0 / (0 + 1 + 0)
    }

    @Test("with no negatives, specificity is undefined")
    func noNegatives() {
        let p = BinaryPredictions(scores: [0.2, 0.7], labels: [1, 1])
        #expect(p.specificity() == .undefined(reason: .noNegatives))
        #expect(isValue(p.sensitivity(), 0.5))
    }

    @Test("with nothing predicted positive, PPV is undefined; with nothing negative, NPV")
    func noPredictions() {
        let p = BinaryPredictions(scores: scores, labels: labels)
        #expect(p.positivePredictiveValue(threshold: 0.95) == .undefined(reason: .noPredictedPositives))
        #expect(isValue(p.negativePredictiveValue(threshold: 0.95), 0.5))  // 4 TN of 8
        #expect(p.negativePredictiveValue(threshold: 0) == .undefined(reason: .noPredictedNegatives))
        #expect(isValue(p.positivePredictiveValue(threshold: 0), 0.5))
    }

    @Test("F1 is undefined with no positives and nothing predicted positive")
    func f1Undefined() {
        let p = BinaryPredictions(scores: [0.1, 0.2], labels: [0, 0])
        #expect(p.f1() == .undefined(reason: .noPositivesAndNoPredictedPositives))
        #expect(isValue(p.accuracy(), 1))
    }

    @Test("empty input makes every threshold metric undefined rather than crashing")
    func empty() {
        let p = BinaryPredictions(scores: [Double](), labels: [Int]())
        for metric in [p.accuracy(), p.balancedAccuracy(), p.sensitivity(), p.specificity(),
                       p.positivePredictiveValue(), p.negativePredictiveValue(), p.f1()] {
            #expect(metric == .undefined(reason: .emptyInput))
        }
        #expect(p.confusionMatrix().total == 0)
    }

    @Test("a NaN score makes the threshold metrics undefined")
    func nonFinite() {
        let p = BinaryPredictions(scores: [0.9, .nan, 0.1], labels: [1, 0, 0])
        #expect(p.nonFiniteScoreCount == 1)
        #expect(p.accuracy() == .undefined(reason: .nonFiniteScore))
        #expect(p.sensitivity() == .undefined(reason: .nonFiniteScore))
    }

    @Test("confusion matrices of two sets add to the matrix of their union")
    func pooling() {
        let a = BinaryPredictions(scores: Array(scores[..<3]), labels: Array(labels[..<3]))
        let b = BinaryPredictions(scores: Array(scores[3...]), labels: Array(labels[3...]))
        let whole = BinaryPredictions(scores: scores, labels: labels)
        #expect(a.confusionMatrix() + b.confusionMatrix() == whole.confusionMatrix())
    }
}
