import Testing
@testable import CohortLearn

@Suite("Multi-class metrics: confusion matrix, accuracy, balanced accuracy, macro-F1, log-loss")
struct MetricsMulticlassTests {
    // labels:    0 0 0 1 1 1 2 2 2 2
    // predicted: 0 0 1 1 1 2 2 2 0 0
    // confusion (rows true, columns predicted):
    //   class 0: [2, 1, 0]
    //   class 1: [0, 2, 1]
    //   class 2: [2, 0, 2]
    static let labels = [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]
    static let rows: [[Double]] = [
        [0.7, 0.2, 0.1], [0.5, 0.3, 0.2], [0.3, 0.6, 0.1],
        [0.1, 0.8, 0.1], [0.2, 0.5, 0.3], [0.1, 0.3, 0.6],
        [0.2, 0.2, 0.6], [0.1, 0.1, 0.8], [0.6, 0.1, 0.3], [0.4, 0.3, 0.3],
    ]
    let predictions = MulticlassPredictions(probabilities: rows, labels: labels)

    @Test("predicted classes are the row argmax and the confusion matrix counts them")
    func confusionMatrix() {
        #expect(predictions.predictedClasses() == [0, 0, 1, 1, 1, 2, 2, 2, 0, 0])
        #expect(predictions.confusionMatrix().counts == [[2, 1, 0], [0, 2, 1], [2, 0, 2]])
    }

    @Test("accuracy, balanced accuracy and macro-F1 equal the hand-computed values")
    func averages() {
        // accuracy = (2 + 2 + 2) / 10 = 0.6
        #expect(isValue(predictions.accuracy(), 0.6))
        // recall: 2/3, 2/3, 2/4 → (2/3 + 2/3 + 1/2) / 3 = 11/18
        #expect(isValue(predictions.balancedAccuracy(), 11.0 / 18))
        // column sums (predicted): 4, 3, 3; row sums (support): 3, 3, 4
        // F1_c = 2·TP_c / (support_c + predicted_c): 2·2/(3+4) = 4/7, 2·2/(3+3) = 2/3,
        //   2·2/(4+3) = 4/7 → macro = (4/7 + 2/3 + 4/7) / 3 = (24 + 14)/21 / 3 = 38/63
        #expect(isValue(predictions.macroF1(), 38.0 / 63))
        let matrix = predictions.confusionMatrix()
        #expect(isValue(matrix.precision(of: 0), 0.5))  // 2 / 4
        #expect(isValue(matrix.recall(of: 2), 0.5))     // 2 / 4
    }

    @Test("argmax ties go to the first class")
    func argmaxTie() {
        let p = MulticlassPredictions(probabilities: [[0.4, 0.4, 0.2], [0.3, 0.35, 0.35]], labels: [0, 2])
        #expect(p.predictedClasses() == [0, 1])
    }

    @Test("the flat row-major initialiser and Float probabilities agree with rows of Doubles")
    func flat() {
        let flat = MulticlassPredictions(
            flatProbabilities: Self.rows.flatMap { $0 }.map { Float($0) }, classCount: 3, labels: Self.labels)
        #expect(flat.confusionMatrix() == predictions.confusionMatrix())
        #expect(isValue(flat.logLoss(), predictions.logLoss().doubleValue ?? .nan, tolerance: 1e-6))
    }

    @Test("multi-class log-loss is the mean of −ln p(true class)")
    func logLoss() {
        // (−ln 0.7 − ln 0.3) / 2 = (0.3566749 + 1.2039728) / 2 = 0.7803239
        let p = MulticlassPredictions(probabilities: [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], labels: [0, 1])
        #expect(isValue(p.logLoss(), 0.7803238741323343, tolerance: 1e-12))
        // a zero probability on the true class is clipped to 1e-15: −ln(1e-15) = 34.5387764
        let wrong = MulticlassPredictions(probabilities: [[0.0, 1.0]], labels: [0])
        #expect(isValue(wrong.logLoss(), 34.538776394910684, tolerance: 1e-9))
    }

    @Test("log-loss needs rows that are probabilities summing to 1; accuracy does not")
    func logLossValidation() {
        let unnormalised = MulticlassPredictions(probabilities: [[2.0, 1.0], [0.5, 3.0]], labels: [0, 1])
        #expect(unnormalised.logLoss() == .undefined(reason: .invalidProbability))
        #expect(isValue(unnormalised.accuracy(), 1))
        let shortRow = MulticlassPredictions(probabilities: [[0.5, 0.4], [0.5, 0.5]], labels: [0, 1])
        #expect(shortRow.logLoss() == .undefined(reason: .probabilitiesDoNotSumToOne))
    }

    @Test("a class with no examples makes balanced accuracy undefined; macro-F1 only if it is never predicted either")
    func absentClass() {
        // labels 0, 0, 1; class 2 never occurs and is never predicted
        let neverSeen = MulticlassPredictions(
            probabilities: [[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.2, 0.7, 0.1]], labels: [0, 0, 1])
        #expect(neverSeen.balancedAccuracy() == .undefined(reason: .classAbsentFromLabels))
        #expect(neverSeen.macroF1() == .undefined(reason: .classAbsentFromLabelsAndPredictions))
        #expect(isValue(neverSeen.accuracy(), 2.0 / 3))
        #expect(neverSeen.confusionMatrix().f1(of: 2) == .undefined(reason: .classAbsentFromLabelsAndPredictions))
        #expect(neverSeen.confusionMatrix().precision(of: 2) == .undefined(reason: .classNeverPredicted))

        // class 2 predicted once but never true: F1(2) = 0 is defined
        // F1(0) = 2·1/(2 + 1) = 2/3, F1(1) = 2·1/(1 + 1) = 1, F1(2) = 0 → macro = (2/3 + 1 + 0)/3 = 5/9
        let predictedOnly = MulticlassPredictions(
            probabilities: [[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.2, 0.7, 0.1]], labels: [0, 0, 1])
        #expect(predictedOnly.balancedAccuracy() == .undefined(reason: .classAbsentFromLabels))
        #expect(isValue(predictedOnly.macroF1(), 5.0 / 9))
    }

    @Test("empty input and NaN probabilities make every metric undefined")
    func degenerate() {
        let empty = MulticlassPredictions(probabilities: [[Double]](), labels: [], classCount: 3)
        #expect(empty.classCount == 3)
        for metric in [empty.accuracy(), empty.balancedAccuracy(), empty.macroF1(), empty.logLoss()] {
            #expect(metric == .undefined(reason: .emptyInput))
        }
        let nan = MulticlassPredictions(probabilities: [[0.5, .nan], [0.2, 0.8]], labels: [0, 1])
        #expect(nan.accuracy() == .undefined(reason: .nonFiniteScore))
        #expect(nan.logLoss() == .undefined(reason: .nonFiniteScore))
    }

    @Test("with two classes, the multi-class metrics match the binary ones")
    func twoClasses() {
        let (scores, labels) = tiedRandomData(count: 120, levels: 9, seed: 21)
        // keep away from 0.5, where argmax (first on ties) and `>= 0.5` disagree
        let kept = zip(scores, labels).filter { $0.0 != 0.5 }
        let binary = BinaryPredictions(scores: kept.map(\.0), labels: kept.map(\.1))
        let multi = MulticlassPredictions(probabilities: kept.map { [1 - $0.0, $0.0] }, labels: kept.map(\.1))
        #expect(isValue(multi.accuracy(), binary.accuracy().doubleValue ?? .nan))
        #expect(isValue(multi.balancedAccuracy(), binary.balancedAccuracy().doubleValue ?? .nan))
        #expect(isValue(multi.logLoss(), binary.logLoss().doubleValue ?? .nan, tolerance: 1e-9))
    }

    @Test("confusion matrices of two sets add to the matrix of their union")
    func pooling() {
        let a = MulticlassPredictions(probabilities: Array(Self.rows[..<4]), labels: Array(Self.labels[..<4]))
        let b = MulticlassPredictions(probabilities: Array(Self.rows[4...]), labels: Array(Self.labels[4...]))
        #expect(a.confusionMatrix() + b.confusionMatrix() == predictions.confusionMatrix())
    }
}
