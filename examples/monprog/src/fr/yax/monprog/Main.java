package fr.yax.monprog;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/**
 * The seed's home-made daemon: listens on --port (and --host), answers each connection with its name, and stops
 * cleanly on SIGINT/SIGTERM through a shutdown hook. With -DignoreSigint=true it ignores SIGINT, so that Supervisor
 * has to SIGKILL it after stopwaitsecs.
 */
public final class Main {
    public static void main(String[] args) throws Exception {
        String host = "0.0.0.0";
        int port = 1234;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--port")) port = Integer.parseInt(args[++i]);
            else if (args[i].equals("--host")) host = args[++i];
        }
        String runDir = System.getProperty("runDir", ".");
        if (Boolean.getBoolean("ignoreSigint")) {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), signal -> log("SIGINT ignored"));
        }
        ServerSocket server = new ServerSocket();
        server.bind(new InetSocketAddress(host, port));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log("Shutting down has been requested");
            try {
                server.close();
            } catch (IOException ignored) {
                // Closing is all that is left to do.
            }
        }));
        log("monprog listening on " + host + ":" + port + " (runDir " + runDir + ")");
        while (!server.isClosed()) {
            try (Socket client = server.accept(); OutputStream out = client.getOutputStream()) {
                out.write(("monprog on port " + port + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (SocketException closed) {
                break;
            }
        }
    }

    private static void log(String message) {
        System.out.println(message);
        System.out.flush();
    }
}
