import XCTest
@testable import AttnRuntime

/// `NAME` / `NAME:key=value,...` parsing and validation.
final class PolicySpecTests: XCTestCase {
    func testDefaultsAndValues() throws {
        let s = try PolicyRegistry.make("streaming") as! StreamingPolicy
        XCTAssertEqual(s.sink, 4); XCTAssertEqual(s.window, 64)
        XCTAssertEqual(s.specDescription, "streaming:sink=4,window=64")
        let t = try PolicyRegistry.make("Streaming: sink=2 , window=10") as! StreamingPolicy
        XCTAssertEqual(t.sink, 2); XCTAssertEqual(t.window, 10)
        let h = try PolicyRegistry.make("h2o:heavy=8,window=16") as! H2OPolicy
        XCTAssertEqual(h.heavy, 8); XCTAssertEqual(h.window, 16)
        let k = try PolicyRegistry.make("snapkv:capacity=128,window=16,kernel=7,pool=max") as! SnapKVPolicy
        XCTAssertEqual(k.capacity, 128); XCTAssertEqual(k.kernel, 7); XCTAssertEqual(k.pooling, .max)
        XCTAssertEqual(try PolicyRegistry.make("dense").mode, .dense)
        let q = try PolicyRegistry.make("quest:budget=410") as! QuestPolicy
        XCTAssertEqual(q.specDescription, "quest:page=16,budget=410,dense_layers=2")
        XCTAssertEqual(q.mode, .selects)
        XCTAssertEqual(q.pagesPerQuery, 25)
    }

    func testBadSpecsGiveClearErrors() {
        func message(_ text: String) -> String {
            do { _ = try PolicyRegistry.make(text); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message("questt").contains("unknown policy 'questt'"), message("questt"))
        XCTAssertTrue(message("quest:page=0").contains("page=0"), message("quest:page=0"))
        XCTAssertTrue(message("quest:budget=-5").contains("budget=-5"), message("quest:budget=-5"))
        XCTAssertTrue(message("quest:pages=16").contains("unknown parameter pages"), message("quest:pages=16"))
        XCTAssertTrue(message("streaming:window=0").contains("window=0"), message("streaming:window=0"))
        XCTAssertTrue(message("streaming:window=abc").contains("integer"))
        XCTAssertTrue(message("streaming:windw=3").contains("unknown parameter windw"))
        XCTAssertTrue(message("h2o:heavy=1,heavy=2").contains("twice"))
        XCTAssertTrue(message("h2o:heavy").contains("not key=value"))
        XCTAssertTrue(message(":x=1").contains("missing name"))
        XCTAssertTrue(message("snapkv:kernel=4").contains("odd"))
        XCTAssertTrue(message("snapkv:capacity=8,window=8").contains("must exceed"))
        XCTAssertTrue(message("snapkv:pool=median").contains("avg, max"))
        XCTAssertTrue(message("dense:x=1").contains("takes none"))
    }
}
