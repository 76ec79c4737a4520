import Foundation
import Testing
@testable import CohortPrivacy

@Suite("Gauss–Kronrod quadrature")
struct GaussKronrodTests {
    @Test("one 21-point panel integrates polynomials up to degree 31 exactly (checks the constants)")
    func polynomialExactness() {
        var quadrature = GaussKronrod()
        quadrature.maximumBisections = 0
        for degree in 0...31 {
            let result = quadrature.integrate(from: -1, to: 1, panels: 1) { pow($0, Double(degree)) }
            let exact = degree % 2 == 0 ? 2 / Double(degree + 1) : 0
            #expect(abs(result.value - exact) < 1e-14, "degree \(degree): \(result.value) vs \(exact)")
        }
        // The 10-point Gauss rule inside is exact to degree 19 only, so the error estimate
        // vanishes there and not beyond.
        #expect(quadrature.integrate(from: -1, to: 1, panels: 1) { pow($0, 18) }.errorEstimate < 1e-14)
        #expect(quadrature.integrate(from: -1, to: 1, panels: 1) { pow($0, 20) }.errorEstimate > 1e-8)
    }

    @Test("adaptive refinement reaches the tolerance on a sharp peak")
    func sharpPeak() {
        let quadrature = GaussKronrod()
        let width = 0.01
        let result = quadrature.integrate(from: -5, to: 5, panels: 2) { exp(-0.5 * $0 * $0 / (width * width)) }
        let exact = width * (2 * Double.pi).squareRoot()
        #expect(relativeDifference(result.value, exact) < 1e-12)
        #expect(result.evaluations > 42)
    }
}
