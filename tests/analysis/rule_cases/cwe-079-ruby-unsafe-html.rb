class User
    def username_as_html(username)
        # ruleid: cwe-079-ruby-unsafe-html
        "<h2>#{username}</h2>".html_safe
    end

    def escaped_username_as_html(username)
        # ok: cwe-079-ruby-unsafe-html
        "<h2>#{ERB::Util.html_escape(username)}</h2>".html_safe
    end

    def title_as_html
        # ok: cwe-079-ruby-unsafe-html
        "<h2>Welcome</h2>".html_safe
    end

    def comment_as_html
        # ruleid: cwe-079-ruby-unsafe-html
        raw("<p>" + params[:comment] + "</p>")
    end

    def inline_greeting
        # ruleid: cwe-079-ruby-unsafe-html
        render inline: "<h1>Hello #{params[:name]}</h1>"
    end

    def escaped_greeting
        # ok: cwe-079-ruby-unsafe-html
        render html: "<h1>Hello #{params[:name]}</h1>"
    end
end
