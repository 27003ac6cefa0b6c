package io.pgroute.proxy.session;

import io.pgroute.protocol.backend.ErrorResponse;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SettingsReplayTest {

    @Test
    void aReplayAnsweredWithoutErrorLetsTheRequestGo() {
        SettingsReplay replay = new SettingsReplay();
        assertThat(replay.inFlight()).isFalse();
        replay.sent();
        assertThat(replay.inFlight()).isTrue();
        assertThat(replay.finished()).isEqualTo(SettingsReplay.Outcome.DONE);
        assertThat(replay.inFlight()).isFalse();
        assertThat(replay.refused()).isFalse();
    }

    @Test
    void aRefusedReplayAnswersTheRequestWithTheServersErrorAndSaysWhy() {
        SettingsReplay replay = new SettingsReplay();
        replay.sent();
        replay.onError(ErrorResponse.error("42501", "permission denied to set role \"r\"").withDetail("d"));
        replay.onError(ErrorResponse.error("25P02", "current transaction is aborted"));  // only the first counts
        assertThat(replay.finished()).isEqualTo(SettingsReplay.Outcome.FAILED);
        assertThat(replay.refused()).isTrue();
        ErrorResponse answer = replay.failureAnswer("primary");
        assertThat(answer.severity()).isEqualTo("ERROR");
        assertThat(answer.sqlState()).isEqualTo("42501");
        assertThat(answer.message()).isEqualTo("permission denied to set role \"r\"");
        assertThat(answer.detail()).contains("settings").contains("primary").contains("not run").endsWith(" d");
    }

    @Test
    void aCancelDuringTheReplayWinsOverItsOutcome() {
        SettingsReplay replay = new SettingsReplay();
        replay.sent();
        replay.onCancel();
        assertThat(replay.finished()).isEqualTo(SettingsReplay.Outcome.CANCELLED);
        assertThat(replay.refused()).isFalse();
        assertThat(SettingsReplay.cancelAnswer().sqlState()).isEqualTo("57014");
        replay.sent();  // the next replay starts clean
        assertThat(replay.finished()).isEqualTo(SettingsReplay.Outcome.DONE);
    }

    @Test
    void lostConnectionsAreReplacedAFewTimesInARowThenGivenUp() {
        SettingsReplay replay = new SettingsReplay();
        for (int i = 1; i < SettingsReplay.MAX_LOST; i++) {
            replay.sent();
            assertThat(replay.connectionLost()).as("loss %d", i).isTrue();
            assertThat(replay.inFlight()).isFalse();
        }
        replay.sent();
        assertThat(replay.connectionLost()).isFalse();
        assertThat(SettingsReplay.lostAnswer("replica1").sqlState()).isEqualTo("08006");
    }

    @Test
    void aReplayThatSucceedsResetsTheCountOfLostConnections() {
        SettingsReplay replay = new SettingsReplay();
        for (int i = 1; i < SettingsReplay.MAX_LOST; i++) {
            replay.sent();
            replay.connectionLost();
        }
        replay.sent();
        replay.finished();
        replay.sent();
        assertThat(replay.connectionLost()).isTrue();
    }
}
