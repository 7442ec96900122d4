package stedi;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.hive.ql.parse.ParseDriver;
import org.apache.hadoop.hive.ql.parse.ParseException;

/** Reads statements separated by NUL bytes on stdin; prints one line per statement: OK, or ERR message. */
public final class HiveParsePeer {
    public static void main(String[] args) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.in.transferTo(buf);
        ParseDriver driver = new ParseDriver();
        for (String sql : buf.toString(StandardCharsets.UTF_8).split("\u0000", -1)) {
            if (sql.isBlank()) continue;
            try {
                driver.parse(sql);
                System.out.println("OK");
            } catch (ParseException e) {
                System.out.println("ERR " + e.getMessage().replace('\n', ' '));
            } catch (RuntimeException e) {
                System.out.println("ERR " + e);
            }
        }
    }
}
