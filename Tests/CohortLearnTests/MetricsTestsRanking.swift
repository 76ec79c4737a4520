import Testing
@testable import CohortLearn

@Suite("Binary ranking metrics: AUROC, average precision, ROC curve")
struct MetricsRankingTests {
    @Test("AUROC and average precision of the textbook four-example case")
    func fourExamples() {
        // labels [0, 0, 1, 1], scores [0.1, 0.4, 0.35, 0.8]
        // pairs (pos, neg): (0.35, 0.1) win, (0.35, 0.4) loss, (0.8, 0.1) win, (0.8, 0.4) win
        // AUROC = 3 / 4.
        // descending: 0.8 pos (P = 1/1, R = 1/2), 0.4 neg, 0.35 pos (P = 2/3, R = 2/2), 0.1 neg
        // AP = (1/2)·1 + (1/2)·(2/3) = 5/6 = 0.8333…
        let p = BinaryPredictions(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1])
        #expect(isValue(p.auroc(), 0.75))
        #expect(isValue(p.averagePrecision(), 5.0 / 6))
    }

    @Test("all scores tied: AUROC 1/2, and AP is the prevalence")
    func allTied() {
        // every pair is a tie: 4 pairs × 1/2 / 4 = 0.5; one step from R = 0 to 1 at P = 2/4.
        let p = BinaryPredictions(scores: [0.5, 0.5, 0.5, 0.5], labels: [0, 1, 0, 1])
        #expect(isValue(p.auroc(), 0.5))
        #expect(isValue(p.averagePrecision(), 0.5))
    }

    @Test("a tie between one positive and one negative counts 1/2")
    func oneTie() {
        // labels [0, 1, 0, 1], scores [0.2, 0.6, 0.6, 0.9]
        // (0.6, 0.2) 1, (0.6, 0.6) 1/2, (0.9, 0.2) 1, (0.9, 0.6) 1 → 3.5 / 4 = 0.875
        // AP: 0.9 pos (P = 1, R = 1/2); {0.6 pos, 0.6 neg} one step (P = 2/3, R = 1)
        //     → 1/2 · 1 + 1/2 · 2/3 = 5/6. (Breaking the tie positive-first would give 1.)
        let p = BinaryPredictions(scores: [0.2, 0.6, 0.6, 0.9], labels: [0, 1, 0, 1])
        #expect(isValue(p.auroc(), 0.875))
        #expect(isValue(p.averagePrecision(), 5.0 / 6))
    }

    @Test("a perfect ranking scores 1 and the reversed ranking 0")
    func extremes() {
        let labels = [0, 0, 1, 1, 1]
        let perfect = BinaryPredictions(scores: [0.1, 0.2, 0.3, 0.4, 0.5], labels: labels)
        #expect(isValue(perfect.auroc(), 1))
        #expect(isValue(perfect.averagePrecision(), 1))
        let reversed = BinaryPredictions(scores: [0.5, 0.4, 0.3, 0.2, 0.1], labels: labels)
        #expect(isValue(reversed.auroc(), 0))
        // descending: neg, neg, pos (P 1/3), pos (P 2/4), pos (P 3/5); each step R += 1/3
        #expect(isValue(reversed.averagePrecision(), (1.0 / 3 + 2.0 / 4 + 3.0 / 5) / 3))
    }

    @Test("AUROC and AP equal brute-force pair counting on random data with many ties",
          arguments: [(UInt64(1), 10), (2, 3), (3, 50), (4, 1), (5, 1000)])
    func againstBruteForce(seed: UInt64, levels: Int) {
        let (scores, labels) = tiedRandomData(count: 301, levels: levels, seed: seed)
        let p = BinaryPredictions(scores: scores, labels: labels)
        let exact = bruteForceAUROC(scores: scores, labels: labels)
        #expect(isValue(p.auroc(), exact, tolerance: 1e-12))
        #expect(isValue(p.averagePrecision(), bruteForceAveragePrecision(scores: scores, labels: labels),
                        tolerance: 1e-12))
        #expect(abs(exact - 0.5) > 0.05)  // the data are not trivially tied
        let floats = BinaryPredictions(scores: scores.map { Float($0) }, labels: labels)
        #expect(isValue(floats.auroc(), bruteForceAUROC(scores: scores.map { Double(Float($0)) }, labels: labels)))
    }

    @Test("the ROC curve has one point per distinct score, like roc_curve(drop_intermediate=False)")
    func rocCurve() throws {
        let p = BinaryPredictions(scores: [0.1, 0.4, 0.35, 0.8], labels: [0, 0, 1, 1])
        let curve = try #require(p.rocCurve())
        // thresholds 0.8, 0.4, 0.35, 0.1; P = N = 2
        // >= 0.8: TP 1, FP 0; >= 0.4: TP 1, FP 1; >= 0.35: TP 2, FP 1; >= 0.1: TP 2, FP 2
        #expect(curve.thresholds == [0.8, 0.4, 0.35, 0.1])
        #expect(curve.points.first?.threshold == nil)
        #expect(curve.falsePositiveRates == [0, 0, 0.5, 0.5, 1])
        #expect(curve.truePositiveRates == [0, 0.5, 0.5, 1, 1])
        #expect(abs(curve.area - 0.75) < 1e-12)

        let tied = try #require(BinaryPredictions(scores: [0.5, 0.5, 0.5], labels: [1, 0, 1]).rocCurve())
        #expect(tied.falsePositiveRates == [0, 1])
        #expect(tied.truePositiveRates == [0, 1])
        #expect(tied.thresholds == [0.5])
    }

    @Test("the trapezoidal area of the ROC curve equals AUROC on tied random data")
    func rocAreaEqualsAUROC() throws {
        let (scores, labels) = tiedRandomData(count: 200, levels: 7, seed: 9)
        let p = BinaryPredictions(scores: scores, labels: labels)
        let curve = try #require(p.rocCurve())
        #expect(curve.thresholds.count == Set(scores).count)
        #expect(isValue(p.auroc(), curve.area, tolerance: 1e-12))
    }

    @Test("with one class present, AUROC and AP are undefined and there is no ROC curve")
    func oneClass() {
        for labels in [[1, 1, 1], [0, 0, 0]] {
            let p = BinaryPredictions(scores: [0.2, 0.5, 0.9], labels: labels)
            #expect(p.auroc() == .undefined(reason: .onlyOneClassPresent))
            #expect(p.averagePrecision() == .undefined(reason: .onlyOneClassPresent))
            #expect(p.rocCurve() == nil)
        }
    }

    @Test("empty input and NaN scores make the ranking metrics undefined")
    func degenerate() {
        let empty = BinaryPredictions(scores: [Float](), labels: [Bool]())
        #expect(empty.auroc() == .undefined(reason: .emptyInput))
        #expect(empty.averagePrecision() == .undefined(reason: .emptyInput))
        #expect(empty.rocCurve() == nil)
        let nan = BinaryPredictions(scores: [0.2, .nan, 0.9, 0.4], labels: [0, 1, 1, 0])
        #expect(nan.auroc() == .undefined(reason: .nonFiniteScore))
        #expect(nan.averagePrecision() == .undefined(reason: .nonFiniteScore))
        #expect(nan.rocCurve() == nil)
    }

    @Test("ranking metrics accept scores outside [0, 1], such as logits")
    func logits() {
        let p = BinaryPredictions(scores: [-3.0, 2.5, 0.0, 7.0], labels: [0, 0, 1, 1])
        // pairs: (0, -3) win, (0, 2.5) loss, (7, -3) win, (7, 2.5) win → 3/4
        #expect(isValue(p.auroc(), 0.75))
    }
}
