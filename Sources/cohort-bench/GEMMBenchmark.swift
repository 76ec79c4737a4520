import CBLAS
import CohortTensor

/// W1 of BENCHMARKS.md: Cohort's `Tensor.gemm` against raw `cblas_sgemm` on the same
/// buffers, in the same process, measured in alternation so drift hits both alike.
struct GEMMBenchmark {
    struct Shape: Hashable, Codable, CustomStringConvertible {
        var m: Int, n: Int, k: Int
        var description: String { m == n && n == k ? "\(m)³" : "\(m)×\(k)·\(k)×\(n)" }
        var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
    }

    struct Result: Codable {
        var shape: Shape
        var threads: Int
        var cohortGFLOPS: Double
        var rawGFLOPS: Double
        var ratio: Double { cohortGFLOPS / rawGFLOPS }
    }

    static let squares = [256, 512, 1024].map { Shape(m: $0, n: $0, k: $0) }
    static let trainingShapes: [Shape] = {
        var shapes = [Shape]()
        for m in [64, 128, 256] {
            for k in [30, 64, 128, 256, 784] {
                for n in [30, 64, 128, 256, 784] { shapes.append(Shape(m: m, n: n, k: k)) }
            }
        }
        return shapes
    }()

    var repetitions: Int

    /// Median GFLOP/s of Cohort's gemm and of raw cblas_sgemm for one shape.
    func measure(_ shape: Shape, threads: Int) -> Result {
        BLASRuntime.threads = threads
        var generator = SeededGenerator(seed: 1)
        let a = Tensor<Float>.randomUniform([shape.m, shape.k], in: -1..<1, using: &generator)
        let b = Tensor<Float>.randomUniform([shape.k, shape.n], in: -1..<1, using: &generator)
        var c = Tensor<Float>.zeros([shape.m, shape.n])
        // Enough calls per sample to last ~10 ms at 200 GFLOP/s.
        let calls = max(1, Int(2e9 / shape.flops))
        let cohort = {
            for _ in 0..<calls { Tensor.gemm(a, b, into: &c) }
        }
        // The reference: the same buffers straight into cblas_sgemm.
        var rawC = [Float](repeating: 0, count: shape.m * shape.n)
        let raw = {
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    rawC.withUnsafeMutableBufferPointer { pc in
                        for _ in 0..<calls {
                            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                                        Int32(shape.m), Int32(shape.n), Int32(shape.k), 1,
                                        pa.baseAddress, Int32(shape.k), pb.baseAddress, Int32(shape.n),
                                        0, pc.baseAddress, Int32(shape.n))
                        }
                    }
                }
            }
        }
        cohort(); raw(); cohort(); raw()
        var cohortTimes = [Double](), rawTimes = [Double]()
        for _ in 0..<repetitions {
            var start = BLASDiagnostics.now()
            cohort()
            cohortTimes.append(BLASDiagnostics.now() - start)
            start = BLASDiagnostics.now()
            raw()
            rawTimes.append(BLASDiagnostics.now() - start)
        }
        let work = shape.flops * Double(calls) / 1e9
        return Result(shape: shape, threads: threads,
                      cohortGFLOPS: work / median(cohortTimes), rawGFLOPS: work / median(rawTimes))
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.isEmpty ? .nan : sorted[sorted.count / 2]
}
