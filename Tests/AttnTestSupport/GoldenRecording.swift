// RECORD_GOLDEN=1 re-records golden files. A recording run always fails (as the view snapshots'
// RECORD_SNAPSHOTS does), so a run that rewrote goldens can never pass as a green test run.

import Foundation
import XCTest

public enum GoldenRecording {
    public static var isOn: Bool { ProcessInfo.processInfo.environment["RECORD_GOLDEN"] != nil }

    /// The failure every recording run ends with, naming what was written.
    public static func recorded(_ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTFail("RECORD_GOLDEN is set: re-recorded \(what); review the change (git diff), then run again without RECORD_GOLDEN",
                file: file, line: line)
    }
}
