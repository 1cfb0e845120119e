import java.io.*;
import java.net.Socket;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;

public class MyTestClass {
    public void parse(Socket socket) throws Exception {
        InputStream socketStream = socket.getInputStream();
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        DocumentBuilder builder = factory.newDocumentBuilder();
        // ruleid: cwe-611-java-xxe
        Document doc = builder.parse(new InputSource(socketStream));
    }

    public void parseSafely(Socket socket) throws Exception {
        InputStream socketStream = socket.getInputStream();
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        DocumentBuilder builder = factory.newDocumentBuilder();
        // ok: cwe-611-java-xxe
        Document doc = builder.parse(new InputSource(socketStream));
    }

    public Document parseChained(Socket socket) throws Exception {
        // ruleid: cwe-611-java-xxe
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(socket.getInputStream());
    }

    public Document parseOther(InputStream in, javax.xml.parsers.DocumentBuilder builder) throws Exception {
        // ok: cwe-611-java-xxe
        return builder.parse(in);
    }
}
