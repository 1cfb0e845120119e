import java.io.*;
import java.net.Socket;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;

public class XmlReceiver {
    public void parse(Socket socket) throws Exception {
        InputStream socketStream = socket.getInputStream();
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        DocumentBuilder builder = factory.newDocumentBuilder();
        Document doc = builder.parse(socketStream);
        doc.getDocumentElement().normalize();
        System.out.println(doc.getDocumentElement().getNodeName());
    }
}
