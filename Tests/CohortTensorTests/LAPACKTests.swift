import CohortTensor
import Testing

@Suite("LAPACK solves")
struct LAPACKTests {
    /// ‖A·X − B‖∞ / (‖A‖∞·‖X‖∞ + ‖B‖∞), the scaled residual LAPACK's own tests use.
    static func scaledResidual<S: TensorScalar>(_ a: Tensor<S>, _ x: Tensor<S>, _ b: Tensor<S>) -> Double {
        let bMatrix = b.rank == 1 ? b.reshaped([b.count, 1]) : b
        let xMatrix = x.rank == 1 ? x.reshaped([x.count, 1]) : x
        let residual = Tensor.matmul(a, xMatrix) - bMatrix
        func infinityNorm(_ m: Tensor<S>) -> Double {
            (0..<m.shape[0]).map { i in (0..<m.shape[1]).reduce(0.0) { $0 + abs(Double(m[i, $1])) } }.max() ?? 0
        }
        return infinityNorm(residual) / (infinityNorm(a) * infinityNorm(xMatrix) + infinityNorm(bMatrix))
    }

    @Test("general solve (gesv) leaves a tiny residual, Double and Float", arguments: [1, 2, 5, 31, 100])
    func generalSolve(n: Int) throws {
        var generator = SeededGenerator(seed: UInt64(40 + n))
        let a = Tensor<Double>.randomNormal([n, n], using: &generator)
        let b = Tensor<Double>.randomNormal([n, 3], using: &generator)
        let x = try Tensor.solve(a, b)
        #expect(x.shape == [n, 3])
        #expect(Self.scaledResidual(a, x, b) < 1e-14)

        let af: Tensor<Float> = a.converted()
        let bf = Tensor<Float>.randomNormal([n], using: &generator)
        let xf = try Tensor.solve(af, bf)
        #expect(xf.shape == [n])
        #expect(Self.scaledResidual(af, xf, bf) < 1e-5)
    }

    @Test("Cholesky solve (posv) on a symmetric positive-definite matrix leaves a tiny residual", arguments: [1, 4, 30, 64])
    func choleskySolve(n: Int) throws {
        var generator = SeededGenerator(seed: UInt64(50 + n))
        let g = Tensor<Double>.randomNormal([n, n], using: &generator)
        // GᵀG + n·I is symmetric positive definite.
        let a = Tensor.matmul(g, transposeA: .transposed, g) + Tensor<Double>.identity(n).scaled(by: Double(n))
        let b = Tensor<Double>.randomNormal([n, 2], using: &generator)
        let x = try Tensor.choleskySolve(a, b)
        #expect(Self.scaledResidual(a, x, b) < 1e-14)
        let general = try Tensor.solve(a, b)
        #expect(x.maxAbsoluteDifference(general) < 1e-10)
    }

    @Test("a singular matrix is reported as singular")
    func singular() {
        let a = Tensor<Double>(rows: [[1, 2], [2, 4]])
        #expect(throws: LinearAlgebraError.self) { try Tensor.solve(a, Tensor<Double>([1, 1])) }
        do {
            _ = try Tensor.solve(a, Tensor<Double>([1, 1]))
        } catch {
            #expect(error.code == .singular)
            #expect(error.message.contains("singular"))
        }
    }

    @Test("a matrix that is not positive definite is reported as such")
    func notPositiveDefinite() {
        let a = Tensor<Double>(rows: [[1, 0], [0, -1]])
        do {
            _ = try Tensor.choleskySolve(a, Tensor<Double>([1, 1]))
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .notPositiveDefinite)
            #expect(error.info == 2)
        }
    }

    @Test("solving leaves the inputs unchanged")
    func inputsUnchanged() throws {
        let a = Tensor<Double>(rows: [[4, 1], [1, 3]])
        let b = Tensor<Double>([1, 2])
        let copyA = a, copyB = b
        _ = try Tensor.solve(a, b)
        _ = try Tensor.choleskySolve(a, b)
        #expect(a == copyA && b == copyB)
    }
}
