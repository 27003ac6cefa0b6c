package io.pgroute.proxy.testing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Signals to server processes by pid ({@code kill -STOP}, {@code -CONT}): a server that hangs, then resumes. */
public final class Signals {

    private Signals() {
    }

    /** Sends signal {@code name} (STOP, CONT…) to every process in {@code pids}; fails the test if kill fails. */
    public static void send(String name, Collection<Long> pids) throws Exception {
        List<String> command = new ArrayList<>(List.of("kill", "-" + name));
        pids.forEach(each -> command.add(Long.toString(each)));
        Process kill = new ProcessBuilder(command).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).as("kill -%s %s ended", name, pids).isTrue();
        assertThat(kill.exitValue()).as("kill -%s %s", name, pids).isZero();
    }

    /** The postmaster {@code postmaster} and every process it started. */
    public static List<Long> withChildren(long postmaster) {
        List<Long> result = new ArrayList<>();
        result.add(postmaster);
        ProcessHandle.of(postmaster).orElseThrow().children().forEach(each -> result.add(each.pid()));
        return result;
    }
}
