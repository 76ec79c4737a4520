import CohortTensor
import Foundation
import Testing

@Suite("Reductions, argmax, softmax and log-sum-exp")
struct ReductionTests {
    @Test("sums and means along each axis equal naive loops", arguments: [(0, 3), (3, 0), (1, 1), (1, 9), (9, 1), (17, 6)])
    func sumsAndMeans(size: (Int, Int)) {
        let (rows, columns) = size
        var generator = SeededGenerator(seed: 31)
        let m = Tensor<Float>.randomUniform([rows, columns], in: -1..<1, using: &generator)
        let columnSums = m.sum(alongAxis: 0)
        let rowSums = m.sum(alongAxis: 1)
        #expect(columnSums.shape == [columns])
        #expect(rowSums.shape == [rows])
        for j in 0..<columns {
            let expected = (0..<rows).reduce(0.0) { $0 + Double(m[$1, j]) }
            #expect(abs(Double(columnSums.scalars[j]) - expected) < 1e-5)
            if rows > 0 { #expect(abs(Double(m.mean(alongAxis: 0).scalars[j]) - expected / Double(rows)) < 1e-6) }
        }
        for i in 0..<rows {
            let expected = (0..<columns).reduce(0.0) { $0 + Double(m[i, $1]) }
            #expect(abs(Double(rowSums.scalars[i]) - expected) < 1e-5)
        }
        let total = m.scalars.reduce(0.0) { $0 + Double($1) }
        #expect(abs(Double(m.sum()) - total) < 1e-5)
        if m.count > 0 { #expect(abs(Double(m.mean()) - total / Double(m.count)) < 1e-6) } else { #expect(m.mean().isNaN) }
    }

    @Test("argmax picks the first maximum on ties and never NaN over a number")
    func argmax() {
        let m = Tensor<Float>(rows: [[1, 3, 3], [5, 2, 1], [.nan, 0, -1], [-2, -2, -2]])
        #expect(m.argmaxOfEachRow() == [1, 0, 1, 0])
        #expect(Tensor<Float>.zeros([0, 4]).argmaxOfEachRow() == [])
        let single = Tensor<Float>(rows: [[7], [-1]])
        #expect(single.argmaxOfEachRow() == [0, 0])
    }

    @Test("log-sum-exp equals the direct formula and stays finite for huge inputs")
    func logSumExp() {
        let m = Tensor<Float>(rows: [[1, 2, 3], [1000, 1000, 1000], [-1000, -1001, -999], [-.infinity, -.infinity, -.infinity]])
        let lse = m.logSumExpOfEachRow()
        #expect(abs(lse.scalars[0] - Float(log(exp(1.0) + exp(2.0) + exp(3.0)))) < 1e-5)
        #expect(abs(lse.scalars[1] - (1000 + Float(log(3.0)))) < 1e-3)
        let expected = -999 + log(1 + exp(-1.0) + exp(-2.0))
        #expect(abs(Double(lse.scalars[2]) - expected) < 1e-3)
        #expect(lse.scalars[3] == -.infinity)
    }

    @Test("softmax rows sum to one, match the direct formula, and survive huge inputs")
    func softmax() {
        var generator = SeededGenerator(seed: 32)
        let m = Tensor<Float>.randomNormal([9, 5], standardDeviation: 3, using: &generator)
        let s = m.softmaxOfEachRow()
        for i in 0..<9 {
            let denominator = (0..<5).reduce(0.0) { $0 + exp(Double(m[i, $1])) }
            var rowSum = 0.0
            for j in 0..<5 {
                #expect(abs(Double(s[i, j]) - exp(Double(m[i, j])) / denominator) < 1e-6)
                rowSum += Double(s[i, j])
            }
            #expect(abs(rowSum - 1) < 1e-6)
        }
        let huge = Tensor<Float>(rows: [[1e4, 1e4 - 1]]).softmaxOfEachRow()
        #expect(huge.scalars.allSatisfy { $0.isFinite })
        #expect(abs(Double(huge.scalars[0]) - 1 / (1 + exp(-1.0))) < 1e-6)
    }
}
