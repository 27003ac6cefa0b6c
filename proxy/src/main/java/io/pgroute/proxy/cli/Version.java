package io.pgroute.proxy.cli;

import picocli.CommandLine;

/** Reads the version from the jar manifest (falls back to "dev" when run from classes). */
final class Version implements CommandLine.IVersionProvider {

    static String current() {
        String result = Version.class.getPackage().getImplementationVersion();
        return result == null ? "dev" : result;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"pgroute " + current(), "Java " + System.getProperty("java.version")};
    }
}
