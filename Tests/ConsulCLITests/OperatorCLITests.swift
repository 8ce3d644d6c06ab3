import ConsulAPI
@testable import ConsulCLI
import Testing

/// The text `consul operator raft list-peers`, `autopilot get-config` and `consul info` print.
@Suite struct OperatorCLITests {
    /// Consul's columns; lag is measured against the leader's LastIndex, "1 commit" singular.
    @Test func listPeersTable() throws {
        let reply = try JSONParser.parse(#"{"Servers":[{"ID":"a","Node":"s1","Address":"127.0.0.1:8300","Leader":true,"ProtocolVersion":"3","Voter":true,"LastIndex":10},{"ID":"bb","Node":"s2","Address":"127.0.0.1:8310","Leader":false,"ProtocolVersion":"3","Voter":true,"LastIndex":9},{"ID":"c","Node":"s3","Address":"127.0.0.1:8320","Leader":false,"ProtocolVersion":"","Voter":false,"LastIndex":10}],"Index":1}"#)
        #expect(OperatorCommand.formatPeers(reply) == """
        Node  ID  Address         State     Voter  RaftProtocol  Commit Index  Trails Leader By
        s1    a   127.0.0.1:8300  leader    true   3             10            -
        s2    bb  127.0.0.1:8310  follower  true   3             9             1 commit
        s3    c   127.0.0.1:8320  follower  false  <=1           10            0 commits
        """)
    }

    @Test func autopilotConfigLines() throws {
        let c = try JSONParser.parse(#"{"CleanupDeadServers":true,"LastContactThreshold":"200ms","MaxTrailingLogs":250,"MinQuorum":0,"ServerStabilizationTime":"10s","RedundancyZoneTag":"","DisableUpgradeMigration":false,"UpgradeVersionTag":"","CreateIndex":0,"ModifyIndex":0}"#)
        #expect(OperatorCommand.formatConfig(c) == """
        CleanupDeadServers = true
        LastContactThreshold = 200ms
        MaxTrailingLogs = 250
        MinQuorum = 0
        ServerStabilizationTime = 10s
        RedundancyZoneTag = ""
        DisableUpgradeMigration = false
        UpgradeVersionTag = ""
        """)
    }

    /// Sections and keys sorted, a tab before each key.
    @Test func infoSections() throws {
        let stats = try JSONParser.parse(#"{"raft":{"term":"2","state":"Leader"},"agent":{"services":"0","checks":"1"}}"#)
        #expect(InfoCommand.format(stats) == "agent:\n\tchecks = 1\n\tservices = 0\nraft:\n\tstate = Leader\n\tterm = 2\n")
    }

    /// Parent-only commands print help and exit 1; help flags exit 0.
    @Test func parentCommands() {
        final class Quiet: Console { override func info(_ text: String) {}; override func error(_ text: String) {} }
        #expect(CLI.main(["operator"], console: Quiet()) == 1)
        #expect(CLI.main(["operator", "raft"], console: Quiet()) == 1)
        #expect(CLI.main(["operator", "autopilot", "-h"], console: Quiet()) == 0)
        #expect(CLI.main(["operator", "raft", "remove-peer", "-http-addr=127.0.0.1:1"], console: Quiet()) == 1)
    }
}
