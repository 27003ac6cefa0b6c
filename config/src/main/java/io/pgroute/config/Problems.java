package io.pgroute.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects the problems of one configuration file so that all of them can be reported together. */
final class Problems {

    private final List<ConfigProblem> found = new ArrayList<>();

    void add(String path, int line, String message) {
        found.add(new ConfigProblem(path, line, message));
    }

    /** Throws the collected problems, sorted by line (stable), if there are any. */
    void throwIfAny(String sourceName) throws ConfigException {
        if (found.isEmpty()) {
            return;
        }
        List<ConfigProblem> result = new ArrayList<>(found);
        result.sort(Comparator.comparingInt(ConfigProblem::line));
        throw new ConfigException(sourceName, result);
    }
}
