import Foundation
import Testing
@testable import CohortLearn

@Suite("MetricValue: printing, rounding and JSON")
struct MetricsValueTests {
    @Test("an undefined value prints its reason, a defined one its number")
    func description() {
        #expect(MetricValue.value(0.75).description == "0.75")
        #expect(MetricValue.undefined(reason: .onlyOneClassPresent).description
                == "undefined (only one class present)")
        #expect(MetricValue.undefined(reason: .noPredictedPositives).formatted() == "undefined (no predicted positives)")
        #expect(MetricValue.undefined(reason: .emptyInput).doubleValue == nil)
        #expect(MetricValue.value(0.5).undefinedReason == nil)
        #expect(!MetricValue.undefined(reason: .emptyInput).isDefined)
    }

    @Test("formatted rounds half away from zero to the given places")
    func formatted() {
        #expect(MetricValue.value(5.0 / 6.0).formatted() == "0.8333")
        #expect(MetricValue.value(0.5).formatted() == "0.5000")
        #expect(MetricValue.value(2).formatted(decimals: 2) == "2.00")
        #expect(MetricValue.value(0.99996).formatted() == "1.0000")
        #expect(MetricValue.value(34.538776394910684).formatted(decimals: 3) == "34.539")
        #expect(MetricValue.value(-0.25).formatted(decimals: 1) == "-0.3")
        #expect(MetricValue.value(-0.00001).formatted() == "0.0000")
        #expect(MetricValue.value(0.0625).formatted(decimals: 0) == "0")
    }

    @Test("JSON carries null and the reason for an undefined value, and reads both back")
    func json() throws {
        let values: [MetricValue] = [.value(0.75), .undefined(reason: .onlyOneClassPresent)]
        let data = try JSONEncoder().encode(values)
        let text = try #require(String(data: data, encoding: .utf8))
        #expect(text.contains(#"{"value":0.75}"#))
        #expect(text.contains(#""value":null"#))
        #expect(text.contains(#""reason":"only one class present""#))
        #expect(try JSONDecoder().decode([MetricValue].self, from: data) == values)
    }

    @Test("JSON without a reason, or with an unknown one, is rejected")
    func badJSON() {
        for text in [#"{"value":null}"#, #"{"reason":"because"}"#, #"{}"#] {
            #expect(throws: DecodingError.self) {
                try JSONDecoder().decode(MetricValue.self, from: Data(text.utf8))
            }
        }
    }
}
