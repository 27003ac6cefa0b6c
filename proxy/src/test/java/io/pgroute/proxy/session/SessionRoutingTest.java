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

    @Test
    void keepsTheLatestFour() throws Exception {
        try (Classifier classifier = new Classifier(new BuiltinFunctions(), 100)) {
            SessionRouting routing = new SessionRouting(classifier, null, null, null, true);
            String[] texts = new String[5];
            StatementInfo[] infos = new StatementInfo[5];
            for (int i = 0; i < 5; i++) {
                String sql = longRead("t" + i);
                texts[i] = sql;
                Classifier.Classified made = routing.classifyElsewhere(() -> sql).get();
                routing.remember(made);
                infos[i] = made.info();
            }
            assertThat(routing.known(texts[0])).isNull();
            for (int i = 1; i < 5; i++) {
                assertThat(routing.known(texts[i])).isSameAs(infos[i]);
            }
        }
    }
}
