package io.pgroute.config;

import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${VAR}} and {@code ${VAR:-default}} in scalar values with environment variables, the way a POSIX
 * shell does: the default applies when the variable is unset or empty. <code>$${</code> stands for a literal
 * <code>${</code>. The environment is a function so that tests need not touch the real one.
 */
final class EnvInterpolator {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final Function<String, String> env;

    EnvInterpolator(Function<String, String> env) {
        this.env = env;
    }

    /** Thrown with an operator-facing message when a value cannot be substituted. */
    static final class SubstitutionException extends Exception {

        SubstitutionException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Substitutes every reference in {@code text}.
     *
     * @throws SubstitutionException if a reference is malformed or names an unset variable without default
     */
    String interpolate(String text) throws SubstitutionException {
        if (text.indexOf('$') < 0) {
            return text;
        }
        StringBuilder result = new StringBuilder(text.length());
        int index = 0;
        while (index < text.length()) {
            char each = text.charAt(index);
            if (text.startsWith("$${", index)) {
                result.append("${");
                index += 3;
            } else if (text.startsWith("${", index)) {
                int end = text.indexOf('}', index + 2);
                if (end < 0) {
                    throw new SubstitutionException("unterminated ${ in value");
                }
                result.append(resolve(text.substring(index + 2, end)));
                index = end + 1;
            } else {
                result.append(each);
                index++;
            }
        }
        return result.toString();
    }

    private String resolve(String reference) throws SubstitutionException {
        int separator = reference.indexOf(":-");
        String name = separator < 0 ? reference : reference.substring(0, separator);
        if (!NAME.matcher(name).matches()) {
            throw new SubstitutionException("invalid environment variable reference ${" + reference + "}");
        }
        String value = env.apply(name);
        if (separator >= 0 && (value == null || value.isEmpty())) {
            return reference.substring(separator + 2);
        }
        if (value == null) {
            throw new SubstitutionException("environment variable " + name + " is not set");
        }
        return value;
    }
}
