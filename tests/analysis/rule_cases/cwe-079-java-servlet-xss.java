import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Paths;
import javax.servlet.ServletException;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.apache.commons.lang3.StringEscapeUtils;
import org.owasp.encoder.Encode;

public class MyTestClass extends HttpServlet {
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws ServletException, IOException {
        String page = request.getParameter("page");
        // ruleid: cwe-079-java-servlet-xss
        response.getWriter().print(page);
        // ok: cwe-079-java-servlet-xss
        response.getWriter().print(StringEscapeUtils.escapeHtml4(page));
        PrintWriter out = response.getWriter();
        // ruleid: cwe-079-java-servlet-xss
        out.println("<h1>" + request.getParameter("title") + "</h1>");
        // ok: cwe-079-java-servlet-xss
        out.println("<h1>Welcome</h1>");
    }

    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String query = request.getParameter("q");
        // ruleid: cwe-079-java-servlet-xss
        response.getOutputStream().write(("<h2>" + query + "</h2>").getBytes());
        // ok: cwe-079-java-servlet-xss
        response.getOutputStream().print(Encode.forHtml(query));
        PrintWriter out = response.getWriter();
        // ok: cwe-079-java-servlet-xss
        out.println("<p>" + Encode.forHtml(query) + "</p>");
        String escaped = org.springframework.web.util.HtmlUtils.htmlEscape(request.getParameter("name"));
        // ok: cwe-079-java-servlet-xss
        out.println("<p>" + escaped + "</p>");
        // ok: cwe-079-java-servlet-xss
        response.getOutputStream().write(Files.readAllBytes(Paths.get("/srv", query)));
    }
}
