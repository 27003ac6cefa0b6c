package io.pgroute.proxy.session;

import io.pgroute.proxy.sql.BuiltinFunctions;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.sql.StatementInfo;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** A session's memory of classifications: what it keeps, by text instance, and when it lets go of long texts. */
class SessionRoutingTest {

    private static String longRead(String table) {
        return "select * from " + table + " where id = 1" + " or id = 2".repeat(Classifier.INLINE_LIMIT / 10);
    }

    @Test
    void aClassificationMadeElsewhereIsFoundByItsTextInstanceUntilForgotten() throws Exception {
        try (Classifier classifier = new Classifier(new BuiltinFunctions(), 100)) {
            SessionRouting routing = new SessionRouting(classifier, null, null, null, true);
            String sql = longRead("kept");
            assertThat(routing.known(sql)).as("too long to look at on an event loop").isNull();
            Classifier.Classified made = routing.classifyElsewhere(() -> sql).get();
            routing.remember(made);
            assertThat(routing.known(sql)).isSameAs(made.info());
            assertThat(routing.known(new String(sql))).as("another instance of the same text is not looked at")
                    .isNull();

            routing.forgetClassifiedElsewhere();
            assertThat(routing.known(sql)).as("the session no longer holds the text").isNull();
        }
    }

    /** A read of {@code table} {@code length} characters long, quick to classify (one long literal). */
    private static String read(String table, int length) {
        String start = "select * from " + table + " where v = '";
        return start + "x".repeat(Math.max(0, length - start.length() - 1)) + "'";
    }

    /** Remembers a classification made elsewhere of each text, in order; their infos. */
    private static StatementInfo[] remember(SessionRouting routing, String... texts) throws Exception {
        StatementInfo[] infos = new StatementInfo[texts.length];
        for (int i = 0; i < texts.length; i++) {
            String sql = texts[i];
            Classifier.Classified made = routing.classifyElsewhere(() -> sql).get();
            routing.remember(made);
            infos[i] = made.info();
        }
        return infos;
    }

    @Test
    void keepsTheLatestOfAPipelineOfLongTexts() throws Exception {
        try (Classifier classifier = new Classifier(new BuiltinFunctions(), 100)) {
            SessionRouting routing = new SessionRouting(classifier, null, null, null, true);
            String[] texts = new String[SessionRouting.AHEAD_KEPT + 1];
            for (int i = 0; i < texts.length; i++) {
                texts[i] = read("t" + i, Classifier.INLINE_LIMIT + 1);
            }
            StatementInfo[] infos = remember(routing, texts);
            assertThat(routing.known(texts[0])).as("the oldest, over the count").isNull();
            for (int i = 1; i < texts.length; i++) {
                assertThat(routing.known(texts[i])).as("text %d", i).isSameAs(infos[i]);
            }
        }
    }

    @Test
    void keepsLongTextsUpToTheirLengthTogetherAndAlwaysTheLatest() throws Exception {
        try (Classifier classifier = new Classifier(new BuiltinFunctions(), 100)) {
            SessionRouting routing = new SessionRouting(classifier, null, null, null, true);
            int third = (int) (SessionRouting.AHEAD_CHARS / 3) + 10;
            String[] texts = {read("a", third), read("b", third), read("c", third)};
            StatementInfo[] infos = remember(routing, texts);
            assertThat(routing.known(texts[0])).as("the oldest, over the length").isNull();
            assertThat(routing.known(texts[1])).isSameAs(infos[1]);
            assertThat(routing.known(texts[2])).isSameAs(infos[2]);

            String huge = read("huge", (int) SessionRouting.AHEAD_CHARS + 10);
            StatementInfo hugeInfo = remember(routing, huge)[0];
            assertThat(routing.known(huge)).as("the latest, however long").isSameAs(hugeInfo);
            assertThat(routing.known(texts[2])).isNull();
        }
    }
}
